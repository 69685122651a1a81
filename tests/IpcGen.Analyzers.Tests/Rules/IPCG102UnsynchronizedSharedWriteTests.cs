using IpcGen.Analyzers.CodeFixes;
using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG102UnsynchronizedSharedWriteTests
{
    internal const string Counters = """

        [SharedStruct]
        [StructLayout(LayoutKind.Sequential)]
        public struct Counters
        {
            public SharedMutex Gate;
            public int Count;
            public long Total;
            public State State;
            public Guid Id;
            public Pair Pair;
        }

        public enum State { Idle, Busy }
        public struct Pair { public int A; public int B; }
        """;

    private static Task Verify(string source) => RuleVerifier<SharedAccessAnalyzer>.VerifyAnalyzerAsync(source + Counters);

    private static Task VerifyFix(string source, string fixedSource, string key)
        => RuleVerifier<SharedAccessAnalyzer>.VerifyCodeFixAsync<SharedWriteCodeFixProvider>(source + Counters, fixedSource + Counters, key);

    [Fact]
    public Task PlainWritesOutsideTheLockAreReported() => Verify("""
        public class Worker
        {
            private readonly SharedRegion<Counters> _region = SharedRegion<Counters>.Create("x");

            public void Run(SharedRegion<Counters> region, int i)
            {
                {|IPCG102:region.Value.Count = 1|};
                {|IPCG102:region[i].Total = 2|};
                {|IPCG102:_region.Value.State = State.Busy|};
                {|IPCG102:region.Value.Pair.A = 3|};
                ref Counters counters = ref region.Value;
                {|IPCG102:counters.Count = 4|};
            }
        }
        """);

    [Fact]
    public Task WritesUnderTheLockAreNotReported() => Verify("""
        public class Worker
        {
            public void Run(SharedRegion<Counters> region)
            {
                using (region.Lock())
                {
                    region.Value.Count = 1;
                }

                using (var guard = region.Lock())
                {
                    region.Value.Count = 2;
                }

                using (region.Value.Gate.Lock())
                {
                    region.Value.Total = 3;
                }

                SharedMutexGuard held = region.Lock();
                try
                {
                    region.Value.Count = 4;
                }
                finally
                {
                    held.Dispose();
                }

                if (region.TryLock(TimeSpan.FromSeconds(1), out SharedMutexGuard maybe))
                {
                    using (maybe)
                    {
                        region.Value.Count = 5;
                    }
                }

                using var scoped = region.Lock();
                region.Value.Count = 6;
            }
        }
        """);

    [Fact]
    public Task AtomicWritesReadsAndCopiesAreNotReported() => Verify("""
        public class Worker
        {
            public long Run(SharedRegion<Counters> region)
            {
                Volatile.Write(ref region.Value.Count, 1);
                Interlocked.Exchange(ref region.Value.Total, 2);
                Counters copy = region.Value;
                copy.Count = 3;
                int count = region.Value.Count;
                return Volatile.Read(ref region.Value.Total) + count + copy.Count;
            }
        }
        """);

    [Fact]
    public Task AnotherRegionsLockDoesNotCount() => Verify("""
        public class Worker
        {
            public void Run(SharedRegion<Counters> first, SharedRegion<Counters> second)
            {
                using (first.Lock())
                {
                    first.Value.Count = 1;
                    {|IPCG102:second.Value.Count = 2|};
                }
            }
        }
        """);

    [Fact]
    public Task ALambdaInsideTheLockRunsOutsideIt() => Verify("""
        public class Worker
        {
            public Action Run(SharedRegion<Counters> region)
            {
                using (region.Lock())
                {
                    return () => {|IPCG102:region.Value.Count = 1|};
                }
            }
        }
        """);

    [Fact]
    public Task FixUsesVolatileWrite() => VerifyFix(
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int value)
            {
                {|IPCG102:region.Value.Count = value|};
                {|IPCG102:region.Value.Total = 2|};
            }
        }
        """,
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int value)
            {
                Volatile.Write(ref region.Value.Count, value);
                Volatile.Write(ref region.Value.Total, 2);
            }
        }
        """,
        SharedWriteCodeFixProvider.VolatileWriteKey);

    [Fact]
    public Task FixWrapsTheWriteInTheRegionLock() => VerifyFix(
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region)
            {
                {|IPCG102:region.Value.State = State.Busy|};
                {|IPCG102:region.Value.Count = 1|};
            }
        }
        """,
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region)
            {
                using (region.Lock())
                {
                    region.Value.State = State.Busy;
                }
                using (region.Lock())
                {
                    region.Value.Count = 1;
                }
            }
        }
        """,
        SharedWriteCodeFixProvider.WrapInLockKey);
}
