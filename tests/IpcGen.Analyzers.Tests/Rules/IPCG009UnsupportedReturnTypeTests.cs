using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG009UnsupportedReturnTypeTests
{
    [Fact]
    public Task AsyncStreamsAndOtherAwaitablesAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public sealed class MyAwaitable
        {
            public System.Runtime.CompilerServices.TaskAwaiter GetAwaiter() => Task.CompletedTask.GetAwaiter();
        }

        [IpcService]
        public partial interface IFeed
        {
            {|IPCG009:IAsyncEnumerable<int>|} StreamAsync();
            {|IPCG009:MyAwaitable|} WaitAsync();
            {|IPCG009:Task<Task<int>>|} NestedAsync();
            {|IPCG009:ValueTask<int>?|} MaybeAsync();
            {|IPCG009:ref int|} Slot();
        }
        """);

    [Fact]
    public Task SupportedReturnTypesAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IFeed
        {
            void A();
            int B();
            Task C();
            Task<string> D();
            ValueTask E();
            ValueTask<int[]> F();
        }
        """);
}
