using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG005ByRefParameterTests
{
    [Fact]
    public Task RefOutInAndRefReadonlyParametersAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ICounter
        {
            void Increment(ref int {|IPCG005:value|});
            bool TryGet(string key, out int {|IPCG005:value|});
            void Add(in long {|IPCG005:amount|});
            void Set(ref readonly long {|IPCG005:amount|});
        }
        """);

    [Fact]
    public Task ByValueAndParamsParametersAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface ICounter
        {
            int Increment(int value);
            int Sum(params int[] values);
        }
        """);
}
