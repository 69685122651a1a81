using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG007DelegateTypeTests
{
    [Fact]
    public Task DelegateParametersAndResultsAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public delegate void Handler(int value);

        [IpcService]
        public partial interface IEvents
        {
            void Subscribe({|IPCG007:Action<string>|} callback);
            {|IPCG007:Func<int>|} Factory();
            {|IPCG007:Task<Handler>|} HandlerAsync();
            void Many({|IPCG007:List<Handler>|} handlers);
        }
        """);

    [Fact]
    public Task DataTypesAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IEvents
        {
            void Subscribe(string topic);
            Task<int> CountAsync();
        }
        """);
}
