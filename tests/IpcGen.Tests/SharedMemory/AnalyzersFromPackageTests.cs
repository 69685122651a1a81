using IpcGen.Tests.Packaging;
using Xunit.Abstractions;

namespace IpcGen.Tests.SharedMemory;

/// <summary>
/// The shared-memory, configuration and security analyzers ship in the package and run in a consumer's
/// build: a fresh project that references only the packed IpcGen and contains one mistake per rule gets
/// every expected diagnostic id, and no analyzer crash (AD0001).
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class AnalyzersFromPackageTests : IClassFixture<PackedPackage>
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    private readonly PackedPackage _package;
    private readonly ITestOutputHelper _output;

    public AnalyzersFromPackageTests(PackedPackage package, ITestOutputHelper output)
    {
        _package = package;
        _output = output;
    }

    [Fact]
    public async Task Consumer_build_reports_every_rule_from_the_package()
    {
        string project = Path.Combine(_package.WorkDirectory, "bad-consumer-" + Guid.NewGuid().ToString("N")[..8]);
        WriteProject(project);

        ProcessResult build = await ProcessRunner.RunAsync(
            ProcessRunner.DotNet, ["build", project, "-c", "Release", "--disable-build-servers", "-nologo"], project, BuildTimeout);
        _output.WriteLine(build.Output);

        // IPCG100 and IPCG104 are errors: the build fails, and says why.
        Assert.NotEqual(0, build.ExitCode);
        foreach (string expected in new[]
                 {
                     "error IPCG100", "warning IPCG101", "warning IPCG102", "warning IPCG103", "error IPCG104",
                     "warning IPCG105", "warning IPCG106", "warning IPCG107", "warning IPCG200", "warning IPCG300",
                 })
        {
            Assert.Contains(expected, build.Output, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("AD0001", build.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("error CS", build.Output, StringComparison.Ordinal);
    }

    private void WriteProject(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="ipcgen-under-test" value="{_package.Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "BadConsumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
                <NoWarn>$(NoWarn);NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="IpcGen" Version="[{_package.Version}]" />
              </ItemGroup>
            </Project>
            """);
        // IPCG107 is informational; a build log shows it once the project raises it to a warning.
        File.WriteAllText(Path.Combine(directory, ".editorconfig"), """
            root = true

            [*.cs]
            dotnet_diagnostic.IPCG107.severity = warning
            """);
        File.WriteAllText(Path.Combine(directory, "Bad.cs"), BadCode);
    }

    private const string BadCode = """
        using System.Runtime.InteropServices;
        using IpcGen;

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct WithReference
        {
            public string Name;                                    // IPCG100
        }

        [SharedStruct]
        public struct NoLayout                                     // IPCG101
        {
            public long Value;
        }

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct Counters
        {
            public int Flag;
            public long Total;                                     // offset 4
            public long Head;
            public long Tail;
            public Guid Id;
        }

        public static class Program
        {
            public static void Main()
            {
                using var region = SharedRegion<Counters>.Create("bad-consumer");
                region.Value.Flag = 1;                             // IPCG102
                region.Value.Flag++;                               // IPCG103
                Interlocked.Increment(ref region.Value.Total);     // IPCG104
                region.Value.Id = Guid.NewGuid();                  // IPCG105
                var guard = region.Lock();                         // IPCG106
                guard.Dispose();
                Produce(region);
                Consume(region);
                var options = new IpcServerOptions
                {
                    Endpoint = "@bad-consumer",                    // IPCG200
                    Authorization = IpcAuthorizationPolicy.Custom(_ => true), // IPCG300
                };
                Console.WriteLine(options.Endpoint);
            }

            private static void Produce(SharedRegion<Counters> region) => Volatile.Write(ref region.Value.Head, 1);

            private static void Consume(SharedRegion<Counters> region) => Volatile.Write(ref region.Value.Tail, 1); // IPCG107
        }
        """;
}
