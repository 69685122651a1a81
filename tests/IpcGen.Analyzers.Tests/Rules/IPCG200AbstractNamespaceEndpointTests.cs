using IpcGen.Analyzers.CodeFixes;
using IpcGen.Analyzers.Configuration;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG200AbstractNamespaceEndpointTests
{
    private static Task Verify(string source) => RuleVerifier<EndpointNameAnalyzer>.VerifyAnalyzerAsync(source);

    [Fact]
    public Task AbstractNamesAreReported() => Verify("""
        public class Setup
        {
            private const string Hidden = "\0hidden";

            public void Run()
            {
                var server = new IpcServerOptions { Endpoint = {|IPCG200:"@calculator"|} };
                var client = new IpcClientOptions();
                client.Endpoint = {|IPCG200:"\0calculator"|};
                client.Endpoint = {|IPCG200:Hidden|};
            }
        }
        """);

    [Fact]
    public Task PlainNamesPathsAndComputedValuesAreNotReported() => Verify("""
        public class Setup
        {
            public void Run(string fromConfig)
            {
                var server = new IpcServerOptions { Endpoint = "calculator" };
                var client = new IpcClientOptions { Endpoint = "/run/app/calc.sock" };
                client.Endpoint = fromConfig;
                client.Endpoint = "calc@host";
                client.Endpoint = null;
            }
        }
        """);

    [Fact]
    public Task FixDropsThePrefix() => RuleVerifier<EndpointNameAnalyzer>.VerifyCodeFixAsync<EndpointNameCodeFixProvider>(
        """
        public class Setup
        {
            public void Run()
            {
                var server = new IpcServerOptions { Endpoint = {|IPCG200:"@calculator"|} };
                var client = new IpcClientOptions { Endpoint = {|IPCG200:"\0calculator"|} };
            }
        }
        """,
        """
        public class Setup
        {
            public void Run()
            {
                var server = new IpcServerOptions { Endpoint = "calculator" };
                var client = new IpcClientOptions { Endpoint = "calculator" };
            }
        }
        """);
}
