using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using IpcGen.Generators.Tests.TestHelpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace IpcGen.Generators.Tests;

/// <summary>The pipeline caches what has not changed and carries no compilation objects between steps.</summary>
public sealed class IncrementalGeneratorTests
{
    private const string Contract = """
        using System.Threading.Tasks;
        using IpcGen;

        namespace Demo;

        [IpcService]
        public partial interface ICalculator
        {
            int Add(int a, int b);
            ValueTask<string> NameAsync(string? prefix);
        }
        """;

    private static readonly string[] TrackedSteps = { TrackingNames.Contracts, TrackingNames.ValidContracts };

    [Fact]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Contract, "namespace Other { public class Unrelated { } }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);

        SyntaxTree unrelated = first.SyntaxTrees.Last();
        CSharpCompilation second = first.ReplaceSyntaxTree(
            unrelated,
            CSharpSyntaxTree.ParseText("namespace Other { public class Unrelated { public int Edited; } }", GeneratorHarness.ParseOptions, unrelated.FilePath));
        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        foreach (string step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} was not tracked");
            IEnumerable<IncrementalStepRunReason> reasons = result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);
            Assert.All(reasons, reason => Assert.Contains(reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        }

        Assert.All(
            result.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void EditingTheContractRegeneratesIt()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);

        SyntaxTree tree = first.SyntaxTrees.Single();
        CSharpCompilation second = first.ReplaceSyntaxTree(
            tree,
            CSharpSyntaxTree.ParseText(Contract.Replace("int Add(int a, int b);", "long Add(long a, long b);"), GeneratorHarness.ParseOptions, tree.FilePath));
        GeneratorRunResult result = driver.RunGenerators(second).GetRunResult().Results.Single();

        Assert.Contains(
            result.TrackedSteps[TrackingNames.ValidContracts].SelectMany(s => s.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("long Add(long a, long b)", result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void StepOutputsHoldNoSymbolsSyntaxOrCompilation()
    {
        GeneratorRunResult result = GeneratorHarness.CreateDriver()
            .RunGenerators(GeneratorHarness.CreateCompilation(Contract))
            .GetRunResult().Results.Single();

        foreach (string step in TrackedSteps)
        {
            foreach (IncrementalGeneratorRunStep run in result.TrackedSteps[step])
            {
                foreach ((object value, IncrementalStepRunReason _) in run.Outputs)
                {
                    AssertHoldsNoCompilerObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
                }
            }
        }
    }

    private static void AssertHoldsNoCompilerObjects(object? value, string path, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
        {
            return;
        }

        Assert.False(
            value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location or AttributeData,
            $"{path} holds a {value.GetType().Name}, which keeps a compilation alive and defeats caching.");

        if (value is IEnumerable sequence)
        {
            int index = 0;
            foreach (object? item in sequence)
            {
                AssertHoldsNoCompilerObjects(item, $"{path}[{index++}]", visited);
            }
        }

        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertHoldsNoCompilerObjects(field.GetValue(value), $"{path}.{field.Name}", visited);
        }
    }
}
