using IpcGen.Analyzers;
using IpcGen.Analyzers.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace IpcGen.Analyzers.Tests.Verifiers;

/// <summary>Runs <see cref="IpcContractAnalyzer"/> (and its code fix) over C# with inline diagnostic markup.</summary>
public static class ContractVerifier
{
    /// <summary>Every test source starts with these, so the cases show only the contract.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using IpcGen;

        """;

    /// <summary>
    /// The .NET 8 reference pack: the runtime's target and the oldest framework a consumer of the package
    /// compiles against. It resolves from the local package cache.
    /// </summary>
    private static readonly ReferenceAssemblies Net8 = new ReferenceAssemblies(
            "net8.0",
            new PackageIdentity("Microsoft.NETCore.App.Ref", "8.0.31"),
            Path.Combine("ref", "net8.0"));

    public static Task VerifyAnalyzerAsync(string source)
    {
        var test = new CSharpAnalyzerTest<IpcContractAnalyzer, DefaultVerifier> { TestCode = Usings + source };
        Configure(test);
        return test.RunAsync();
    }

    public static Task VerifyCodeFixAsync(string source, string fixedSource)
    {
        var test = new CSharpCodeFixTest<IpcContractAnalyzer, MakePartialCodeFixProvider, DefaultVerifier>
        {
            TestCode = Usings + source,
            FixedCode = Usings + fixedSource,
        };
        Configure(test);
        return test.RunAsync();
    }

    private static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = Net8;
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(IpcServiceAttribute).Assembly.Location));
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
