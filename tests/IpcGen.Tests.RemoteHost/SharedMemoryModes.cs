using IpcGen.Tests.Contracts;

namespace IpcGen.Tests.RemoteHost;

/// <summary>
/// The remote host's shared-memory modes, on a region of <see cref="SharedTestCounters"/> the test created:
/// <list type="bullet">
/// <item><c>hold-lock &lt;region&gt; region|gate</c>: take the region's lock (or the struct's Gate), print READY, sleep until killed.</item>
/// <item><c>increment &lt;region&gt; &lt;count&gt;</c>: print READY, wait for Start to become 1, add 1 to Total
/// <c>count</c> times under the region's lock and to AtomicTotal with Interlocked, print DONE.</item>
/// </list>
/// </summary>
public static class SharedMemoryModes
{
    public static int Run(string region, string[] arguments)
    {
        switch (arguments)
        {
            case ["hold-lock", string which]:
                return HoldLock(region, which);
            case ["increment", string count]:
                return Increment(region, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
            default:
                Console.Error.WriteLine("usage: shared-memory <region> <transport> hold-lock region|gate | increment <count>");
                return 2;
        }
    }

    private static int HoldLock(string name, string which)
    {
        using var region = SharedRegion<SharedTestCounters>.Open(name);
        SharedMutexGuard guard = which == "gate" ? region.Value.Gate.Lock() : region.Lock();
        try
        {
            region.Value.LastWriter = Environment.ProcessId;
            Ready();
            Thread.Sleep(Timeout.Infinite); // killed by the test while holding the lock
            return 0;
        }
        finally
        {
            guard.Dispose();
        }
    }

    private static int Increment(string name, int count)
    {
        using var region = SharedRegion<SharedTestCounters>.Open(name);
        Ready();
        while (Volatile.Read(ref region.Value.Start) == 0)
        {
            Thread.Sleep(1);
        }
        for (int i = 0; i < count; i++)
        {
            using (region.Lock())
            {
                long seen = region.Value.Total;
                Thread.SpinWait(20); // widen the window a broken lock would let others into
                region.Value.Total = seen + 1;
                region.Value.LastWriter = Environment.ProcessId;
            }
            Interlocked.Increment(ref region.Value.AtomicTotal);
        }
        Console.WriteLine("DONE");
        Console.Out.Flush();
        return 0;
    }

    private static void Ready()
    {
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.Out.Flush();
    }
}
