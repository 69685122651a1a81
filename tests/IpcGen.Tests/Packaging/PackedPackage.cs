using System.Reflection;
using Xunit;
using Xunit.Sdk;

namespace IpcGen.Tests.Packaging;

/// <summary>
/// Packs <c>src/IpcGen</c> once for the packaging tests, into a temporary folder feed under a version
/// no earlier run used (<c>0.1.0-ci.&lt;unique&gt;</c>), so the global NuGet cache can never hand back a
/// stale copy. Disposal deletes the feed, the consumer projects and that version from the NuGet cache.
/// </summary>
public sealed class PackedPackage : IAsyncLifetime
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    public PackedPackage()
    {
        RepositoryRoot = FindRepositoryRoot();
        WorkDirectory = Path.Combine(Path.GetTempPath(), "ipcgen-packaging-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(WorkDirectory, "feed");
        Version = $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.r{Guid.NewGuid().ToString("N")[..8]}";
    }

    public string RepositoryRoot { get; }

    /// <summary>The configuration this test assembly was built in (Release in CI).</summary>
    public static string Configuration { get; } =
        typeof(PackedPackage).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } configuration
            ? configuration
            : "Release";

    /// <summary>Everything the tests write: outside the repository, so none of its build settings apply.</summary>
    public string WorkDirectory { get; }

    public string Feed { get; }

    public string Version { get; }

    public string PackageFile => Path.Combine(Feed, $"IpcGen.{Version}.nupkg");

    public async Task InitializeAsync()
    {
        if (WorkDirectory.StartsWith(RepositoryRoot, StringComparison.Ordinal))
        {
            throw new XunitException($"The temporary directory '{WorkDirectory}' is inside the repository; set TMPDIR elsewhere.");
        }
        Directory.CreateDirectory(Feed);
        // --no-build: building this test built the runtime, the generator and the analyzers in this very
        // configuration. Packing what is there writes nothing into the repository's bin/ and obj/, where
        // `dotnet test IpcGen.sln` may still be building other projects while this test runs.
        ProcessResult pack = await ProcessRunner.RunAsync(
            ProcessRunner.DotNet,
            ["pack", Path.Combine(RepositoryRoot, "src", "IpcGen", "IpcGen.csproj"), "-c", Configuration, "--no-build", "-o", Feed,
             $"-p:PackageVersion={Version}"],
            RepositoryRoot,
            PackTimeout);
        pack.EnsureSuccess();
        if (!File.Exists(PackageFile))
        {
            throw new XunitException($"`dotnet pack` succeeded but wrote no {Path.GetFileName(PackageFile)}:{Environment.NewLine}{pack.Output}");
        }
    }

    public Task DisposeAsync()
    {
        DeleteDirectory(WorkDirectory);
        // The consumer's restore extracted this one-off version into the global packages folder.
        DeleteDirectory(Path.Combine(GlobalPackagesFolder(), "ipcgen", Version.ToLowerInvariant()));
        return Task.CompletedTask;
    }

    private static string GlobalPackagesFolder()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary directory must not turn a passing run into a failure.
        }
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IpcGen.sln")))
            {
                return directory.FullName;
            }
        }
        throw new XunitException($"No IpcGen.sln above {AppContext.BaseDirectory}.");
    }
}
