using IpcGen.Generators.Helpers;
using IpcGen.Generators.Tests.TestHelpers;
using Xunit;

namespace IpcGen.Generators.Tests;

/// <summary>Method ids and fingerprints are stable, documented hashes: both ends must compute the same numbers.</summary>
public sealed class WireIdentityTests
{
    [Theory]
    [InlineData("", 0x811C9DC5u)]
    [InlineData("a", 0xE40C292Cu)]
    [InlineData("foobar", 0xBF9CF968u)]
    public void Fnv1a32MatchesTheReferenceVectors(string text, uint expected) => Assert.Equal(expected, Fnv1a.Hash32(text));

    [Theory]
    [InlineData("", 0xCBF29CE484222325ul)]
    [InlineData("a", 0xAF63DC4C8601EC8Cul)]
    [InlineData("foobar", 0x85944171F73967E8ul)]
    public void Fnv1a64MatchesTheReferenceVectors(string text, ulong expected) => Assert.Equal(expected, Fnv1a.Hash64(text));

    [Fact]
    public void MethodIdHashesNameAndParameterTypesWithoutTheCancellationToken()
    {
        string source = Generate("System.Threading.Tasks.Task<int> Add(int a, int b, System.Threading.CancellationToken ct);");

        Assert.Contains($"StartCall(0x{Fnv1a.Hash32("Add(int,int)"):X8}u)", source);
    }

    [Fact]
    public void NullableReferenceAnnotationsDoNotChangeIdsOrFingerprint()
    {
        string plain = Generate("string Echo(string text);");
        string annotated = Generate("string? Echo(string? text);");

        Assert.Equal(Constant(plain, "IpcContractFingerprint"), Constant(annotated, "IpcContractFingerprint"));
        Assert.Contains($"0x{Fnv1a.Hash32("Echo(string)"):X8}u", annotated);
    }

    [Fact]
    public void ChangingAParameterTypeChangesTheFingerprint()
    {
        Assert.NotEqual(
            Constant(Generate("int Add(int a, int b);"), "IpcContractFingerprint"),
            Constant(Generate("int Add(long a, int b);"), "IpcContractFingerprint"));
    }

    [Fact]
    public void MakingAMethodOneWayChangesTheFingerprint()
    {
        Assert.NotEqual(
            Constant(Generate("void Log(string line);"), "IpcContractFingerprint"),
            Constant(Generate("[OneWay] void Log(string line);"), "IpcContractFingerprint"));
    }

    private static string Generate(string member)
    {
        var (_, result) = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(
            "using IpcGen;\n[IpcService] public partial interface IContract { " + member + " }"));
        return Assert.Single(result.GeneratedSources).SourceText.ToString();
    }

    private static string Constant(string source, string name)
    {
        string line = source.Split('\n').Single(l => l.Contains($" {name} = ", StringComparison.Ordinal));
        return line[(line.IndexOf('=') + 1)..].Trim();
    }
}
