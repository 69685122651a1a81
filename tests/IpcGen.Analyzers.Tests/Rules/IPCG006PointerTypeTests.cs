using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG006PointerTypeTests
{
    [Fact]
    public Task PointerAndFunctionPointerTypesAreReported() => ContractVerifier.VerifyAnalyzerAsync("""
        [IpcService]
        public unsafe partial interface INative
        {
            void Write({|IPCG006:byte*|} data, int length);
            {|IPCG006:int*|} Find(int key);
            void Call({|IPCG006:delegate*<int, void>|} callback);
            void Many({|IPCG006:int*[]|} pointers);
        }
        """);

    [Fact]
    public Task UnmanagedStructsAndArraysAreNotReported() => ContractVerifier.VerifyAnalyzerAsync("""
        public struct Sample { public int A; public long B; }

        [IpcService]
        public partial interface INative
        {
            void Write(byte[] data, Sample sample, nint handle);
        }
        """);
}
