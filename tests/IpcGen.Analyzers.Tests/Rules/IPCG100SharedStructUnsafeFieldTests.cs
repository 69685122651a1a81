using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG100SharedStructUnsafeFieldTests
{
    private static Task Verify(string source) => RuleVerifier<SharedStructDeclarationAnalyzer>.VerifyAnalyzerAsync(source);

    [Fact]
    public Task ReferenceFieldsAreReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Shared
        {
            public string {|IPCG100:Name|};
            public int[] {|IPCG100:Values|};
            public object? {|IPCG100:Tag|};
        }
        """);

    [Fact]
    public Task PointerAndNativeIntegerFieldsAreReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public unsafe struct Shared
        {
            public int* {|IPCG100:Next|};
            public IntPtr {|IPCG100:Handle|};
            public nuint {|IPCG100:Size|};
            public delegate*<void> {|IPCG100:Callback|};
        }
        """);

    [Fact]
    public Task AutoPropertyWithReferenceTypeIsReportedOnTheProperty() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Shared
        {
            public string {|IPCG100:Name|} { get; set; }
        }
        """);

    [Fact]
    public Task NestedStructHoldingAReferenceIsReported() => Verify("""
        public struct Inner { public int A; public string B; }

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Shared
        {
            public Inner {|IPCG100:Inner|};
        }
        """);

    [Fact]
    public Task UnmanagedFieldsFixedBuffersAndLocksAreNotReported() => Verify("""
        public enum State : byte { Idle, Busy }
        public struct Point { public double X, Y; }

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public unsafe struct Shared
        {
            public SharedMutex Gate;
            public long Count;
            public bool Flag;
            public char Letter;
            public decimal Money;
            public Guid Id;
            public State State;
            public Point Where;
            public fixed byte Name[32];
            public static string Label = "static fields are not in shared memory";
            public const int Capacity = 8;
        }
        """);

    [Fact]
    public Task StructWithoutSharedStructIsNotReported() => Verify("""
        public struct NotShared
        {
            public string Name;
        }
        """);
}
