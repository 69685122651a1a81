using System.Collections.Immutable;
using IpcGen.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace IpcGen.Generators.Tests.TestHelpers;

/// <summary>Runs <see cref="IpcServiceGenerator"/> the way a consumer's build would, and compiles the result.</summary>
public static class GeneratorHarness
{
    /// <summary>C# 12: what a consumer on the .NET 8 SDK compiles with. Documentation comments are checked.</summary>
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.CSharp12, DocumentationMode.Diagnose);

    /// <summary>
    /// The running runtime's assemblies (the trusted platform assemblies), which include the real IpcGen
    /// runtime and MessagePack this test project references.
    /// </summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    public static CSharpCompilation CreateCompilation(params string[] sources) => CSharpCompilation.Create(
        "Consumer",
        sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Input{i}.cs")),
        References,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            warningLevel: 9999,
            allowUnsafe: true));

    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        new[] { new IpcServiceGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once and fails if it threw or reported anything.</summary>
    public static (Compilation Output, GeneratorRunResult Result) Run(CSharpCompilation input)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.Empty(diagnostics);
        return (output, result);
    }

    /// <summary>
    /// Asserts that input plus generated code compiles with no error and no warning (nullable on, every
    /// warning wave, documentation checked in generated files), and that the contract analyzer finds nothing.
    /// </summary>
    public static void AssertCompilesCleanly(Compilation output)
    {
        var generatedTrees = output.SyntaxTrees.Where(t => !t.FilePath.StartsWith("Input", StringComparison.Ordinal)).ToHashSet();
        var problems = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            // Test inputs are not documented; the generated code must be.
            .Where(d => !(d.Id == "CS1591" && d.Location.SourceTree is { } tree && !generatedTrees.Contains(tree)))
            .ToList();
        Assert.True(problems.Count == 0, "Generated code does not compile cleanly:\n" + string.Join("\n", problems.Select(Describe)));

        ImmutableArray<Diagnostic> analyzerDiagnostics = AnalyzerDiagnostics(output);
        Assert.True(analyzerDiagnostics.IsEmpty, "The analyzer flags a contract the generator generated:\n" + string.Join("\n", analyzerDiagnostics.Select(Describe)));
    }

    /// <summary>What <c>IpcGen.Analyzers</c> reports on a compilation.</summary>
    public static ImmutableArray<Diagnostic> AnalyzerDiagnostics(Compilation compilation) => compilation
        .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new IpcContractAnalyzer()))
        .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();

    private static string Describe(Diagnostic diagnostic)
    {
        string line = diagnostic.Location.SourceTree?.GetText().Lines.GetLineFromPosition(diagnostic.Location.SourceSpan.Start).ToString().Trim() ?? string.Empty;
        return $"{diagnostic}\n    {line}";
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string paths = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        var references = paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();

        // The runtime under test must be the one this test project built, whatever the host put first.
        string runtime = typeof(IpcServiceAttribute).Assembly.Location;
        if (!paths.Contains(runtime, StringComparison.Ordinal))
        {
            references.Add(MetadataReference.CreateFromFile(runtime));
        }

        return references.ToImmutableArray();
    }
}
