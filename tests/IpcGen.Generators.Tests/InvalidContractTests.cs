using IpcGen.Generators.Tests.TestHelpers;
using Microsoft.CodeAnalysis;
using Xunit;

namespace IpcGen.Generators.Tests;

/// <summary>
/// The generator skips what it cannot generate — without throwing and without emitting code that does not
/// compile — and the analyzer, from the same validation code, says why.
/// </summary>
public sealed class InvalidContractTests
{
    [Theory]
    [InlineData("IPCG001", "[IpcService] public interface IContract { void M(); }")]
    [InlineData("IPCG002", "public class Outer { [IpcService] public partial interface IContract { void M(); } }")]
    [InlineData("IPCG003", "[IpcService] public partial interface IContract<T> { void M(T value); }")]
    [InlineData("IPCG004", "[IpcService] public partial interface IContract { void M<T>(T value); }")]
    [InlineData("IPCG005", "[IpcService] public partial interface IContract { void M(ref int value); }")]
    [InlineData("IPCG006", "[IpcService] public unsafe partial interface IContract { void M(int* value); }")]
    [InlineData("IPCG007", "[IpcService] public partial interface IContract { void M(Action<int> callback); }")]
    [InlineData("IPCG008", "[IpcService] public partial interface IContract { Task M(ReadOnlySpan<byte> data); }")]
    [InlineData("IPCG009", "[IpcService] public partial interface IContract { IAsyncEnumerable<int> M(); }")]
    [InlineData("IPCG010", "[IpcService] public partial interface IContract { [OneWay] int M(); }")]
    [InlineData("IPCG011", "[IpcService] public partial interface IContract { void M(CancellationToken ct, int value); }")]
    [InlineData("IPCG012", "[IpcService] public partial interface IContract { [IpcMethod(Id = 1)] void A(); [IpcMethod(Id = 1)] void B(); }")]
    [InlineData("IPCG013", "[IpcService] public partial interface IContract { int Value { get; } }")]
    [InlineData("IPCG014", "[IpcService] public partial interface IContract { void Connect(); }")]
    [InlineData("IPCG015", "[IpcService] public partial interface IContract { [IpcPriority(40)] void M(); }")]
    [InlineData("IPCG016", "[IpcService] public partial interface IContract { SharedRegion<int> M(); }")]
    public void GeneratorSkipsAndAnalyzerReports(string ruleId, string declaration)
    {
        string source = """
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using IpcGen;

            namespace Demo;

            """ + declaration;

        var (output, result) = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(source));

        Assert.Empty(result.GeneratedSources);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        Assert.Contains(ruleId, GeneratorHarness.AnalyzerDiagnostics(output).Select(d => d.Id));
    }

    [Fact]
    public void UnresolvedTypeIsSkippedWithoutAnIpcGenDiagnostic()
    {
        string source = """
            using IpcGen;

            [IpcService]
            public partial interface IContract { void M(DoesNotExist value); }
            """;

        var (output, result) = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(source));

        Assert.Empty(result.GeneratedSources);
        Assert.Contains(output.GetDiagnostics(), d => d.Id == "CS0246");
        Assert.Empty(GeneratorHarness.AnalyzerDiagnostics(output));
    }

    [Fact]
    public void ValidContractBesideAnInvalidOneIsStillGenerated()
    {
        string source = """
            using IpcGen;

            [IpcService]
            public partial interface IGood { int Add(int a, int b); }

            [IpcService]
            public partial interface IBad { void M(out int value); }
            """;

        var (_, result) = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(source));

        Assert.Equal("IGood.IpcService.g.cs", Assert.Single(result.GeneratedSources).HintName);
    }
}
