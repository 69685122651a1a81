using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG008RefStructTypeTests
{
    [Fact]
    public Task SpanParametersAreReportedOnAsyncMethods() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IStorage
        {
            Task WriteAsync({|IPCG008:ReadOnlySpan<byte>|} data);
            ValueTask<int> FillAsync({|IPCG008:Span<byte>|} buffer);
        }
        """);

    [Fact]
    public Task RefStructsAreReportedOnSyncMethodsAndResultsToo() => ContractVerifier.VerifyAnalyzerAsync("""
        public ref struct Cursor { public int Position; }

        [IpcService]
        public partial interface IStorage
        {
            void Write({|IPCG008:Span<byte>|} data);
            {|IPCG008:Cursor|} Current();
        }
        """);

    [Fact]
    public Task ArraysAndMemoryAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public partial interface IStorage
        {
            Task WriteAsync(byte[] data);
            ValueTask<int> CountAsync(ReadOnlyMemory<byte> data);
        }
        """);
}
