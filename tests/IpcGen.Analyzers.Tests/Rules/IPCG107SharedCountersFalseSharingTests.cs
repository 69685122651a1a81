using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG107SharedCountersFalseSharingTests
{
    private static Task Verify(string source) => RuleVerifier<SharedAccessAnalyzer>.VerifyAnalyzerAsync(source);

    [Fact]
    public Task ProducerAndConsumerPositionsOnOneLineAreReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Ring
        {
            public long Head;
            public long {|IPCG107:Tail|};
        }

        public class Producer
        {
            public void Publish(SharedRegion<Ring> ring) => Volatile.Write(ref ring.Value.Head, 1);
        }

        public class Consumer
        {
            public void Consume(SharedRegion<Ring> ring) => Interlocked.Increment(ref ring.Value.Tail);
        }
        """);

    [Fact]
    public Task PositionsOneHundredTwentyEightBytesApartAreNotReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        public struct Ring
        {
            [FieldOffset(0)] public long Head;
            [FieldOffset(128)] public long Tail;
        }

        public class Party
        {
            public void Publish(SharedRegion<Ring> ring) => Volatile.Write(ref ring.Value.Head, 1);
            public void Consume(SharedRegion<Ring> ring) => Interlocked.Increment(ref ring.Value.Tail);
        }
        """);

    [Fact]
    public Task CountersWrittenTogetherByOneMethodAreNotReported() => Verify("""
        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Stats
        {
            public long Requests;
            public long Bytes;
        }

        public class Recorder
        {
            public void Record(SharedRegion<Stats> stats, long bytes)
            {
                Interlocked.Increment(ref stats.Value.Requests);
                Interlocked.Add(ref stats.Value.Bytes, bytes);
            }

            public long Read(SharedRegion<Stats> stats) => Volatile.Read(ref stats.Value.Requests) + Interlocked.Read(ref stats.Value.Bytes);
        }
        """);
}
