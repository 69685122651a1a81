using IpcGen.Analyzers.CodeFixes;
using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG103NonAtomicSharedUpdateTests
{
    private static Task Verify(string source) => RuleVerifier<SharedAccessAnalyzer>.VerifyAnalyzerAsync(source + IPCG102UnsynchronizedSharedWriteTests.Counters);

    private static Task VerifyFix(string source, string fixedSource, string key)
        => RuleVerifier<SharedAccessAnalyzer>.VerifyCodeFixAsync<SharedWriteCodeFixProvider>(
            source + IPCG102UnsynchronizedSharedWriteTests.Counters, fixedSource + IPCG102UnsynchronizedSharedWriteTests.Counters, key);

    [Fact]
    public Task IncrementsAndCompoundAssignmentsOutsideTheLockAreReported() => Verify("""
        public class Worker
        {
            public long Run(SharedRegion<Counters> region, int n)
            {
                {|IPCG103:region.Value.Count++|};
                {|IPCG103:--region.Value.Count|};
                {|IPCG103:region.Value.Total += n|};
                {|IPCG103:region.Value.Total *= 2|};
                {|IPCG103:region.Value.Pair.A |= 4|};
                ref Counters counters = ref region[0];
                return {|IPCG103:counters.Total++|};
            }
        }
        """);

    [Fact]
    public Task UpdatesUnderTheLockAndInterlockedAreNotReported() => Verify("""
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int n)
            {
                using (region.Lock())
                {
                    region.Value.Count++;
                    region.Value.Total += n;
                }

                Interlocked.Increment(ref region.Value.Count);
                Interlocked.Add(ref region.Value.Total, n);
                Counters copy = region.Value;
                copy.Count++;
            }
        }
        """);

    [Fact]
    public Task FixUsesInterlocked() => VerifyFix(
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int n)
            {
                {|IPCG103:region.Value.Count++|};
                {|IPCG103:--region.Value.Count|};
                {|IPCG103:region.Value.Total += n|};
                {|IPCG103:region.Value.Total -= n + 1|};
                {|IPCG103:region.Value.Count |= 4|};
                {|IPCG103:region.Value.Count &= n|};
            }
        }
        """,
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int n)
            {
                Interlocked.Increment(ref region.Value.Count);
                Interlocked.Decrement(ref region.Value.Count);
                Interlocked.Add(ref region.Value.Total, n);
                Interlocked.Add(ref region.Value.Total, -(n + 1));
                Interlocked.Or(ref region.Value.Count, 4);
                Interlocked.And(ref region.Value.Count, n);
            }
        }
        """,
        SharedWriteCodeFixProvider.InterlockedKey);

    [Fact]
    public Task FixWrapsTheUpdateInTheRegionLock() => VerifyFix(
        """
        public class Worker
        {
            private SharedRegion<Counters> _region = SharedRegion<Counters>.Create("x");

            public void Run()
            {
                {|IPCG103:_region.Value.Total *= 2|};
                {|IPCG103:this._region.Value.Count++|};
            }
        }
        """,
        """
        public class Worker
        {
            private SharedRegion<Counters> _region = SharedRegion<Counters>.Create("x");

            public void Run()
            {
                using (_region.Lock())
                {
                    _region.Value.Total *= 2;
                }
                using (this._region.Lock())
                {
                    this._region.Value.Count++;
                }
            }
        }
        """,
        SharedWriteCodeFixProvider.WrapInLockKey);
}
