using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationCollection
{
}

/// <summary>
/// Steady-state calls with unmanaged arguments and results allocate 0 bytes per call, client and
/// server, sync and ValueTask. Bytes per call is the exact count divided by the number of calls: one
/// allocation per call would be at least 24 bytes per call, while a one-off allocation by the runtime
/// itself (a thread-static slot, a tier-up) rounds to 0. Per-thread counts here; whole-process counts
/// in a quiet second process, where no test-runner thread allocates beside the calls.
/// </summary>
[Collection(nameof(AllocationTests))]
public sealed class AllocationTests
{
    private const int Calls = 10_000;

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_sync_call_allocates_nothing_on_the_calling_thread(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect();
        AllocationProbe.SyncCalls(client, 2_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        AllocationProbe.SyncCalls(client, Calls);
        AssertZeroPerCall(GC.GetAllocatedBytesForCurrentThread() - before, Calls);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_ValueTask_call_allocates_nothing_on_the_calling_thread(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect();
        AllocationProbe.AsyncCalls(client, 2_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        AllocationProbe.AsyncCalls(client, Calls);
        AssertZeroPerCall(GC.GetAllocatedBytesForCurrentThread() - before, Calls);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Calls_allocate_nothing_anywhere_in_a_process_serving_and_calling(IpcTransport transport)
    {
        const int ProcessCalls = 20_000;
        using RemoteHost host = RemoteHost.Start("allocations", TestEnvironment.NewEndpoint(), transport, ProcessCalls.ToString());
        string line = host.ReadLine(TimeSpan.FromMinutes(2));
        Dictionary<string, long> counts = line.Split(' ').Select(part => part.Split('=')).ToDictionary(kv => kv[0], kv => long.Parse(kv[1]));

        // The calling thread, then every thread of the process: client receive loop and server dispatch.
        foreach (string key in new[] { "sync-thread", "async-thread", "sync-process", "async-process" })
        {
            AssertZeroPerCall(counts[key], ProcessCalls, $"{key} ({line})");
        }
    }

    private static void AssertZeroPerCall(long allocated, int calls, string? what = null)
        => Assert.True(allocated / calls == 0, $"{what ?? "calling thread"}: {allocated} bytes over {calls} calls = {(double)allocated / calls:0.###} bytes per call");
}
