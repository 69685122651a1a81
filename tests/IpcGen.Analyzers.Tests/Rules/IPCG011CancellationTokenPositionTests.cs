using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG011CancellationTokenPositionTests
{
    [Fact]
    public Task TokenBeforeOtherParametersIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IJobs
        {
            Task RunAsync(CancellationToken {|IPCG011:cancellationToken|}, int id);
        }
        """);

    [Fact]
    public Task SecondTokenIsReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IJobs
        {
            Task RunAsync(int id, CancellationToken {|IPCG011:first|}, CancellationToken second);
        }
        """);

    [Fact]
    public Task SingleTrailingTokenIsNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IJobs
        {
            Task RunAsync(int id, CancellationToken cancellationToken = default);
            int Count(CancellationToken cancellationToken);
        }
        """);
}
