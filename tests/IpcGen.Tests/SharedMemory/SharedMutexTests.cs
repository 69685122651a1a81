using IpcGen.Tests.Contracts;

namespace IpcGen.Tests.SharedMemory;

public sealed class SharedMutexTests
{
    [Fact]
    public void Lock_then_dispose_releases()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());

        using (SharedMutexGuard guard = region.Value.Gate.Lock())
        {
            Assert.True(guard.IsAcquired);
            Assert.False(guard.OwnerDied);
            Assert.True(region.Value.Gate.IsLocked);
        }

        Assert.False(region.Value.Gate.IsLocked);
    }

    [Fact]
    public void TryLock_times_out_while_another_thread_holds_the_lock()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (region.Lock())
            {
                held.Set();
                release.Wait();
            }
        });
        holder.Start();
        held.Wait();

        bool acquired = region.TryLock(TimeSpan.FromMilliseconds(150), out SharedMutexGuard guard);
        release.Set();
        holder.Join();

        Assert.False(acquired);
        Assert.False(guard.IsAcquired);
        Assert.True(region.TryLock(TimeSpan.FromSeconds(5), out SharedMutexGuard later));
        later.Dispose();
    }

    [Fact]
    public async Task Waiter_is_woken_when_the_lock_is_released()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        SharedMutexGuard first = region.Lock();
        Task<bool> waiter = Task.Factory.StartNew(() =>
        {
            using SharedMutexGuard second = region.Lock();
            return second.OwnerDied;
        }, TaskCreationOptions.LongRunning);

        Thread.Sleep(50);
        Assert.False(waiter.IsCompleted);
        first.Dispose();

        bool ownerDied = await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(ownerDied);
    }

    [Fact]
    public void Releasing_twice_throws()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        SharedMutexGuard guard = region.Lock();
        guard.Dispose();

        Assert.Throws<SynchronizationLockException>(() => guard.Dispose());
    }

    [Fact]
    public void A_thread_that_ended_holding_the_lock_is_taken_over()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        var abandoner = new Thread(() => region.Value.Gate.Lock()); // never released
        abandoner.Start();
        abandoner.Join();

        using SharedMutexGuard guard = region.Value.Gate.Lock();

        Assert.True(guard.OwnerDied);
    }

    [Fact]
    public void Threads_incrementing_under_the_lock_lose_nothing()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        const int threads = 4, each = 5_000;

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            for (int i = 0; i < each; i++)
            {
                using (region.Lock())
                {
                    region.Value.Total++;
                }
            }
        });

        Assert.Equal(threads * each, region.Value.Total);
    }
}
