using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;
using Xunit.Abstractions;

namespace IpcGen.Tests.SharedMemory;

/// <summary>Shared regions and their locks between real processes (tests/IpcGen.Tests.RemoteHost, mode shared-memory).</summary>
public sealed class CrossProcessSharedMemoryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly ITestOutputHelper _output;

    public CrossProcessSharedMemoryTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(2, 20_000)]
    [InlineData(4, 5_000)]
    public void Processes_incrementing_under_the_region_lock_sum_exactly(int processes, int each)
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        var hosts = new List<RemoteHost>();
        try
        {
            for (int i = 0; i < processes; i++)
            {
                hosts.Add(StartHost(region.Name, "increment", each.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            Volatile.Write(ref region.Value.Start, 1);
            foreach (RemoteHost host in hosts)
            {
                Assert.Equal("DONE", host.ReadLine(Patience));
            }

            using (region.Lock())
            {
                Assert.Equal((long)processes * each, region.Value.Total);
            }
            Assert.Equal((long)processes * each, Volatile.Read(ref region.Value.AtomicTotal));
        }
        finally
        {
            DisposeAll(hosts);
        }
    }

    [Theory]
    [InlineData("region")]
    [InlineData("gate")]
    public void Lock_held_by_a_killed_process_is_taken_over_and_reported(string which)
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        using (RemoteHost holder = StartHost(region.Name, "hold-lock", which))
        {
            Assert.True(which == "gate" ? region.Value.Gate.IsLocked : region.Value.Gate.IsLocked == false && !region.TryLock(TimeSpan.Zero, out _));
            holder.KillHard();
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using SharedMutexGuard guard = which == "gate" ? region.Value.Gate.Lock() : region.Lock();
        _output.WriteLine($"took over after {clock.ElapsedMilliseconds} ms");

        Assert.True(guard.OwnerDied);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.NotEqual(0, region.Value.LastWriter);
    }

    [Fact]
    public async Task Waiter_blocked_on_a_lock_is_released_when_its_owner_is_killed()
    {
        using var region = SharedRegion<SharedTestCounters>.Create(SharedRegionTests.UniqueName());
        using RemoteHost holder = StartHost(region.Name, "hold-lock", "region");
        Task<bool> waiter = Task.Factory.StartNew(() =>
        {
            using SharedMutexGuard guard = region.Lock();
            return guard.OwnerDied;
        }, TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        Assert.False(waiter.IsCompleted);

        holder.KillHard();

        bool ownerDied = await waiter.WaitAsync(TimeSpan.FromSeconds(10)); // TimeoutException: never taken over
        Assert.True(ownerDied);
    }

    private static RemoteHost StartHost(string region, params string[] arguments)
        => RemoteHost.Start("shared-memory", region, IpcTransport.UnixSocket, arguments);

    private static void DisposeAll(List<RemoteHost> hosts)
    {
        foreach (RemoteHost host in hosts)
        {
            host.Dispose();
        }
    }
}
