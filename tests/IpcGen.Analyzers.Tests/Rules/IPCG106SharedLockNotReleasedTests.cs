using IpcGen.Analyzers.CodeFixes;
using IpcGen.Analyzers.SharedMemory;
using IpcGen.Analyzers.Tests.Verifiers;
using Xunit;

namespace IpcGen.Analyzers.Tests.Rules;

public sealed class IPCG106SharedLockNotReleasedTests
{
    private static Task Verify(string source) => RuleVerifier<SharedLockReleaseAnalyzer>.VerifyAnalyzerAsync(source + IPCG102UnsynchronizedSharedWriteTests.Counters);

    private static Task VerifyFix(string source, string fixedSource)
        => RuleVerifier<SharedLockReleaseAnalyzer>.VerifyCodeFixAsync<LockReleaseCodeFixProvider>(
            source + IPCG102UnsynchronizedSharedWriteTests.Counters, fixedSource + IPCG102UnsynchronizedSharedWriteTests.Counters);

    [Fact]
    public Task LockWithoutUsingOrFinallyIsReported() => Verify("""
        public class Worker
        {
            public void Run(SharedRegion<Counters> region)
            {
                {|IPCG106:region.Lock()|};
                var guard = {|IPCG106:region.Value.Gate.Lock()|};
                region.Value.Count = 1;
                guard.Dispose();
                SharedMutexGuard other;
                other = {|IPCG106:region.Lock()|};
                other.Dispose();
            }
        }
        """);

    [Fact]
    public Task UsingTryFinallyAndOwnershipTransferAreNotReported() => Verify("""
        public class Worker
        {
            private SharedMutexGuard _held;

            public SharedMutexGuard Run(SharedRegion<Counters> region)
            {
                using (region.Lock()) { }
                using (var g = region.Lock()) { }
                using var scoped = region.Value.Gate.Lock();

                var a = region.Lock();
                try { region.Value.Count = 1; }
                finally { a.Dispose(); }

                SharedMutexGuard b = default;
                try
                {
                    b = region.Lock();
                }
                finally
                {
                    b.Dispose();
                }

                _held = region.Lock();
                Keep(region.Lock());
                return region.Lock();
            }

            private static void Keep(SharedMutexGuard guard) => guard.Dispose();
        }
        """);

    [Fact]
    public Task FixTurnsTheDeclarationIntoAUsingDeclarationAndDropsTheManualDispose() => VerifyFix(
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region)
            {
                // take it
                var guard = {|IPCG106:region.Lock()|};
                region.Value.Count = 1;
                guard.Dispose();
            }
        }
        """,
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region)
            {
                // take it
                using var guard = region.Lock();
                region.Value.Count = 1;
            }
        }
        """);

    [Fact]
    public Task FixAllKeepsADiscardedGuardAndNamesItUniquely() => VerifyFix(
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int guard)
            {
                {|IPCG106:region.Lock()|};
                region.Value.Count = guard;
            }

            public void Other(SharedRegion<Counters> region)
            {
                SharedMutexGuard g = {|IPCG106:region.Value.Gate.Lock()|};
                region.Value.Count = 2;
            }
        }
        """,
        """
        public class Worker
        {
            public void Run(SharedRegion<Counters> region, int guard)
            {
                using var guard2 = region.Lock();
                region.Value.Count = guard;
            }

            public void Other(SharedRegion<Counters> region)
            {
                using SharedMutexGuard g = region.Value.Gate.Lock();
                region.Value.Count = 2;
            }
        }
        """);
}
