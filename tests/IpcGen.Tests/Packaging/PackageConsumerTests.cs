using System.IO.Compression;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace IpcGen.Tests.Packaging;

/// <summary>
/// The IpcGen package is all a consumer needs: it carries the runtime, the generator and the analyzers,
/// declares its dependencies, and a project that knows nothing but the package builds warning-free and
/// talks across two processes.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageConsumerTests : IClassFixture<PackedPackage>
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ServerStartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public PackageConsumerTests(PackedPackage package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    [Theory]
    [InlineData("lib/net8.0/IpcGen.dll")]
    [InlineData("analyzers/dotnet/cs/IpcGen.Generators.dll")]
    [InlineData("analyzers/dotnet/cs/IpcGen.Analyzers.dll")]
    [InlineData("analyzers/dotnet/cs/IpcGen.Analyzers.CodeFixes.dll")]
    public void Package_contains(string entry)
    {
        using ZipArchive package = ZipFile.OpenRead(_package.PackageFile);

        Assert.Contains(entry, package.Entries.Select(e => e.FullName));
    }

    [Fact]
    public void Package_ships_the_generator_and_analyzers_only_as_analyzers()
    {
        using ZipArchive package = ZipFile.OpenRead(_package.PackageFile);

        string[] libraries = package.Entries.Select(e => e.FullName).Where(n => n.StartsWith("lib/", StringComparison.Ordinal) && n.EndsWith(".dll", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["lib/net8.0/IpcGen.dll"], libraries);
    }

    [Theory]
    [InlineData("MessagePack")]
    [InlineData("Mono.Posix.NETStandard")]
    public void Package_declares_dependency(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(_package.PackageFile);
        ZipArchiveEntry nuspec = Assert.Single(package.Entries, e => e.FullName == "IpcGen.nuspec");
        using Stream stream = nuspec.Open();
        XDocument document = XDocument.Load(stream);

        string[] dependencies = document.Descendants()
            .Where(e => e.Name.LocalName == "group" && (string?)e.Attribute("targetFramework") is "net8.0")
            .Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!)
            .ToArray();
        Assert.Contains(id, dependencies);
    }

    [Fact]
    public async Task Fresh_project_referencing_only_the_package_builds_and_calls_a_server_process()
    {
        string project = Path.Combine(_package.WorkDirectory, "consumer-" + Guid.NewGuid().ToString("N")[..8]);
        ConsumerProject.Write(project, _package.Feed, _package.Version);
        _output.WriteLine($"Package {_package.Version}; consumer project in {project}");

        ProcessResult build = await ProcessRunner.RunAsync(
            ProcessRunner.DotNet, ["build", project, "-c", "Release", "--disable-build-servers"], project, BuildTimeout);
        _output.WriteLine($"dotnet build: exit {build.ExitCode} after {build.Elapsed.TotalSeconds:0.0} s");
        build.EnsureSuccess();

        string program = Path.Combine(project, "bin", "Release", "net10.0", ConsumerProject.Name + ".dll");
        string endpoint = $"ipcgen-packaging-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        using (BackgroundProcess server = BackgroundProcess.Start(ProcessRunner.DotNet, [program, "serve", endpoint], project))
        {
            try
            {
                await server.WaitForLineAsync("ready", ServerStartTimeout);

                ProcessResult client = await ProcessRunner.RunAsync(ProcessRunner.DotNet, [program, "call", endpoint], project, ClientTimeout);
                _output.WriteLine(client.Output);

                Assert.True(client.ExitCode == 0, $"The client exited with {client.ExitCode}:{Environment.NewLine}{client.Output}");
                Assert.Contains(ConsumerProject.AllPassedLine, client.Output);
                Assert.DoesNotContain("FAIL", client.Output);
            }
            finally
            {
                _output.WriteLine("Server output:" + Environment.NewLine + server.Output);
            }
        }
    }
}
