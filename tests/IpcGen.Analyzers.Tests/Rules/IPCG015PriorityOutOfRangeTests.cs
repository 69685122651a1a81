using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG015PriorityOutOfRangeTests
{
    [Fact]
    public Task PrioritiesOutsideTheRangeAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IJobs
        {
            [{|IPCG015:IpcPriority(32)|}] void Stop();
            [{|IPCG015:IpcPriority(-1)|}] Task PauseAsync();
        }
        """);

    [Fact]
    public Task PrioritiesInTheRangeAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IJobs
        {
            [IpcPriority(0)] void Bulk(byte[] data);
            [IpcPriority(IpcPriorityAttribute.MaxPriority)] void Stop();
            [IpcPriority(5), OneWay] ValueTask NudgeAsync(CancellationToken cancellationToken = default);
            int Count();
        }
        """);
}
