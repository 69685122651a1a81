using IpcGen.Analyzers.Security;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG300AuthorizationAdmitsEveryoneTests
{
    private static Task Verify(string source) => RuleVerifier<AuthorizationPolicyAnalyzer>.VerifyAnalyzerAsync(source);

    [Fact]
    public Task PredicatesThatAlwaysReturnTrueAreReported() => Verify("""
        public class Setup
        {
            public void Run()
            {
                var a = IpcAuthorizationPolicy.Custom({|IPCG300:_ => true|});
                var b = IpcAuthorizationPolicy.Custom({|IPCG300:static peer => { return true; }|});
                var c = IpcAuthorizationPolicy.Custom({|IPCG300:delegate (PeerCredentials peer) { return true; }|});
                var d = new IpcServerOptions { Authorization = IpcAuthorizationPolicy.Custom({|IPCG300:(PeerCredentials _) => true || false|}) };
            }
        }
        """);

    [Fact]
    public Task PredicatesThatLookAtThePeerAreNotReported() => Verify("""
        public class Setup
        {
            public void Run(Func<PeerCredentials, bool> configured)
            {
                var a = IpcAuthorizationPolicy.Custom(peer => peer.UserId == 1000);
                var b = IpcAuthorizationPolicy.Custom(peer => { if (peer.UserId == 0) { return false; } return true; });
                var c = IpcAuthorizationPolicy.Custom(configured);
                var d = IpcAuthorizationPolicy.Custom(_ => false);
                var e = IpcAuthorizationPolicy.AllowUsers(1000, 1001);
            }
        }
        """);
}
