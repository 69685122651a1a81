using System.Reflection;
using IpcGen.Generators.Validation;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace IpcGen.Analyzers.Tests;

/// <summary>Every rule is documented, tracked for release and linked from its diagnostic.</summary>
public sealed class DiagnosticDescriptorTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (DiagnosticDescriptor descriptor in AllDescriptors())
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    [Fact]
    public void EveryDiagnosticIdHasExactlyOneDescriptor()
    {
        string[] ids = typeof(DiagnosticIds)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetRawConstantValue()!)
            .OrderBy(id => id, StringComparer.Ordinal)
            .ToArray();
        string[] described = AllDescriptors().Select(d => d.Id).OrderBy(id => id, StringComparer.Ordinal).ToArray();

        Assert.Equal(ids, described);
        Assert.All(ids, id => Assert.Matches("^IPCG[0-3][0-9][0-9]$", id));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void DescriptorLinksToItsDocumentationPage(string id)
    {
        DiagnosticDescriptor descriptor = Descriptor(id);

        Assert.Equal($"https://github.com/ipcgen/ipcgen/blob/main/analyzers/docs/{id}.md", descriptor.HelpLinkUri);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));
        Assert.True(descriptor.IsEnabledByDefault);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void DocumentationPageExistsWithEverySection(string id)
    {
        string page = Path.Combine(RepositoryRoot(), "analyzers", "docs", id + ".md");

        Assert.True(File.Exists(page), $"{page} is missing");
        string text = File.ReadAllText(page);
        Assert.StartsWith($"# {id}: ", text, StringComparison.Ordinal);
        foreach (string section in new[] { "## Cause", "## Why it matters", "## How to fix", "## When to suppress", "## Example" })
        {
            Assert.Contains(section, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void RuleIsTrackedInTheUnshippedReleaseFile(string id)
    {
        string releases = File.ReadAllText(Path.Combine(RepositoryRoot(), "analyzers", "IpcGen.Analyzers", "AnalyzerReleases.Unshipped.md"));
        DiagnosticDescriptor descriptor = Descriptor(id);

        Assert.Contains($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} |", releases, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void CategoryMatchesTheIdRange(string id)
    {
        string expected = int.Parse(id.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture) switch
        {
            < 100 => "IpcGen.Contract",
            < 200 => "IpcGen.SharedMemory",
            < 300 => "IpcGen.Configuration",
            _ => "IpcGen.Security",
        };

        Assert.Equal(expected, Descriptor(id).Category);
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void RuleIsListedInTheRulesIndex(string id)
    {
        string index = File.ReadAllText(Path.Combine(RepositoryRoot(), "analyzers", "docs", "README.md"));
        DiagnosticDescriptor descriptor = Descriptor(id);

        Assert.Contains($"| [{id}]({id}.md) | {descriptor.DefaultSeverity} | {descriptor.Title} |", index, StringComparison.Ordinal);
    }

    private static DiagnosticDescriptor Descriptor(string id) =>
        AllDescriptors().Single(d => d.Id == id);

    /// <summary>Every descriptor of every analyzer the assembly exports, each id once.</summary>
    private static IEnumerable<DiagnosticDescriptor> AllDescriptors() =>
        typeof(IpcContractAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .SelectMany(t => ((DiagnosticAnalyzer)Activator.CreateInstance(t)!).SupportedDiagnostics)
            .GroupBy(d => d.Id)
            .Select(g => g.First());

    /// <summary>The directory holding IpcGen.sln, found by walking up from the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IpcGen.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("IpcGen.sln not found above " + AppContext.BaseDirectory);
    }
}
