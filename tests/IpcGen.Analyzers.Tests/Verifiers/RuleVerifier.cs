using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace IpcGen.Analyzers.Tests.Verifiers;

/// <summary>
/// Runs one of the shared-memory, configuration or security analyzers (and a code fix) over C# with inline
/// diagnostic markup, against the .NET 8 reference pack and the real IpcGen runtime.
/// </summary>
public static class RuleVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>Every test source starts with these, so the cases show only what matters.</summary>
    public const string Usings = """
        using System;
        using System.Runtime.InteropServices;
        using System.Threading;
        using IpcGen;

        """;

    private static readonly ReferenceAssemblies Net8 = new(
        "net8.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "8.0.31"),
        Path.Combine("ref", "net8.0"));

    public static Task VerifyAnalyzerAsync(string source)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = Usings + source };
        Configure(test);
        return test.RunAsync();
    }

    /// <summary>Applies the fix registered under <paramref name="equivalenceKey"/> (null: the only one) to every diagnostic, one by one and with Fix All.</summary>
    public static Task VerifyCodeFixAsync<TCodeFix>(string source, string fixedSource, string? equivalenceKey = null, bool withUsings = true)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = (withUsings ? Usings : "") + source,
            FixedCode = (withUsings ? Usings : "") + fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        Configure(test);
        return test.RunAsync();
    }

    private static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = Net8;
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(SharedRegion<>).Assembly.Location));
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            Project project = solution.GetProject(projectId)!;
            var options = ((CSharpCompilationOptions)project.CompilationOptions!)
                .WithAllowUnsafe(true)
                .WithNullableContextOptions(NullableContextOptions.Enable);
            return solution.WithProjectCompilationOptions(projectId, options);
        });
    }
}
