using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG104MisalignedAtomicFieldTests
{
    private static Task Verify(string source) => RuleVerifier<SharedAccessAnalyzer>.VerifyAnalyzerAsync(source);

    [Fact]
    public Task PackedEightByteFieldUsedWithInterlockedIsReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct Packed
        {
            public int Flag;
            public long Total;
        }

        public class Worker
        {
            public void Run(SharedRegion<Packed> region)
            {
                Interlocked.Increment({|IPCG104:ref region.Value.Total|});
                Volatile.Write({|IPCG104:ref region.Value.Total|}, 1);
            }
        }
        """);

    [Fact]
    public Task ExplicitOffsetThatIsNotAMultipleOfEightIsReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Explicit)]
        public struct Header
        {
            [FieldOffset(0)] public int Flag;
            [FieldOffset(4)] public double Value;
            [FieldOffset(12)] public ulong Sequence;
        }

        public class Worker
        {
            public double Run(SharedRegion<Header> region)
            {
                Interlocked.Increment({|IPCG104:ref region.Value.Sequence|});
                return Volatile.Read({|IPCG104:ref region.Value.Value|});
            }
        }
        """);

    [Fact]
    public Task ArrayOfStructsWhoseSizeIsNotAMultipleOfEightIsReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct Slot
        {
            public long Sequence;
            public int Length;
        }

        public class Worker
        {
            public void Run(SharedRegion<Slot> region, int i)
            {
                Interlocked.Increment({|IPCG104:ref region[i].Sequence|});
            }
        }
        """);

    [Fact]
    public Task AlignedFieldsAreNotReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Natural
        {
            public int Flag;
            public long Total;
        }

        [SharedStruct]
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        public struct Ring
        {
            [FieldOffset(0)] public long Head;
            [FieldOffset(128)] public long Tail;
        }

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct PackedButAligned
        {
            public long First;
            public int Small;
            public int Other;
        }

        public class Worker
        {
            public void Run(SharedRegion<Natural> natural, SharedRegion<Ring> ring, SharedRegion<PackedButAligned> packed)
            {
                Interlocked.Increment(ref natural.Value.Total);
                Volatile.Write(ref ring.Value.Tail, 1);
                Interlocked.Increment(ref packed[3].First);
                Interlocked.Increment(ref packed.Value.Small);
            }
        }
        """);
}
