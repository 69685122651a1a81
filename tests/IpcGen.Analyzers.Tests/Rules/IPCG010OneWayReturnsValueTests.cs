using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG010OneWayReturnsValueTests
{
    [Fact]
    public Task OneWayMethodsReturningValuesAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ILog
        {
            [OneWay] {|IPCG010:int|} Write(string line);
            [OneWay] {|IPCG010:Task<bool>|} WriteAsync(string line);
            [OneWay] {|IPCG010:ValueTask<int>|} FlushAsync();
        }
        """);

    [Fact]
    public Task OneWayVoidTaskAndValueTaskAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ILog
        {
            [OneWay] void Write(string line);
            [OneWay] Task WriteAsync(string line);
            [OneWay] ValueTask FlushAsync(CancellationToken cancellationToken = default);
            int Count();
        }
        """);
}
