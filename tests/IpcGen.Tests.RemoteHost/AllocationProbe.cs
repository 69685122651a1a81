using IpcGen.Tests.Contracts;

namespace IpcGen.Tests.Contracts;

/// <summary>
/// Counts allocations of steady-state calls in a process that does nothing else (no test runner
/// threads allocating beside it), client and server both inside it: every byte counted is ours.
/// </summary>
public static class AllocationProbe
{
    public static string Run(string endpoint, IpcTransport transport, int calls)
    {
        using IpcServer server = ITestService.Serve(new TestService(), new IpcServerOptions { Endpoint = endpoint, Transport = transport });
        using ITestService.IpcProxy client = ITestService.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport });

        SyncCalls(client, 5_000);
        AsyncCalls(client, 5_000);

        (long syncThread, long syncProcess) = Measure(() => SyncCalls(client, calls));
        (long asyncThread, long asyncProcess) = Measure(() => AsyncCalls(client, calls));
        return $"sync-thread={syncThread} sync-process={syncProcess} async-thread={asyncThread} async-process={asyncProcess}";
    }

    private static (long Thread, long Process) Measure(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long thread = GC.GetAllocatedBytesForCurrentThread();
        long process = GC.GetTotalAllocatedBytes(precise: true);
        action();
        return (GC.GetAllocatedBytesForCurrentThread() - thread, GC.GetTotalAllocatedBytes(precise: true) - process);
    }

    public static void SyncCalls(ITestService client, int calls)
    {
        long sum = 0;
        for (int i = 0; i < calls; i++)
        {
            sum += client.Add(i, 1);
        }
        Check(sum, calls);
    }

    /// <summary>
    /// ValueTask calls completed on this thread: the proxy's pooled state machine is rented and returned
    /// here, so this thread's count covers the whole client-side call.
    /// </summary>
    public static void AsyncCalls(ITestService client, int calls)
    {
        long sum = 0;
        for (int i = 0; i < calls; i++)
        {
            ValueTask<int> pending = client.AddAsync(i, 1);
            var spin = new SpinWait();
            while (!pending.IsCompleted)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            sum += pending.GetAwaiter().GetResult();
        }
        Check(sum, calls);
    }

    private static void Check(long sum, int calls)
    {
        if (sum != calls * (long)(calls + 1) / 2)
        {
            throw new InvalidOperationException($"wrong results: sum {sum}");
        }
    }
}
