using System.Collections.Concurrent;

namespace IpcGen.Transports.Worker;

/// <summary>
/// Starts worker processes from one long-lived thread. A worker asks for SIGKILL when its parent dies
/// (PR_SET_PDEATHSIG), and the kernel sends it when the <em>thread</em> that forked it exits: spawning from
/// a pool thread that later retires would kill a healthy worker. This thread never exits.
/// </summary>
internal static class WorkerSpawner
{
    private static readonly BlockingCollection<(Func<int> Spawn, TaskCompletionSource<int> Done)> s_requests = new();
    private static readonly Lazy<Thread> s_thread = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "IpcGen worker spawner" };
        thread.Start();
        return thread;
    });

    public static int Spawn(Func<int> spawn)
    {
        _ = s_thread.Value;
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_requests.Add((spawn, done));
        return done.Task.GetAwaiter().GetResult();
    }

    private static void Run()
    {
        foreach ((Func<int> spawn, TaskCompletionSource<int> done) in s_requests.GetConsumingEnumerable())
        {
            try
            {
                done.SetResult(spawn());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }
}
