using System.Diagnostics;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Transports.Worker;

/// <summary>A parent spawning a worker child and talking to it over inherited anonymous pipes.</summary>
public sealed class WorkerProcessTests
{
    private static ITestService.IpcProxy Spawn() => ITestService.SpawnWorker("dotnet", RemoteHost.HostAssembly, "worker", "-", "-");

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Kills the process if a failed test left it running.</summary>
    private static void KillQuietly(int pid)
    {
        if (pid > 0 && IsAlive(pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
            }
        }
    }

    [Fact]
    public async Task A_spawned_worker_serves_the_contract_in_its_own_process()
    {
        int pid = 0;
        try
        {
            await using var worker = Spawn();
            pid = worker.ServerProcessId();
            Assert.NotEqual(Environment.ProcessId, pid);
            Assert.Equal(5, worker.Add(2, 3));
            Assert.Equal(9, await worker.AddAsync(4, 5));
            Assert.Equal(pid, worker.Client.Server.ProcessId);
        }
        finally
        {
            KillQuietly(pid);
        }
    }

    [Fact]
    public void Disposing_the_proxy_ends_the_worker()
    {
        int pid = 0;
        try
        {
            using (var worker = Spawn())
            {
                pid = worker.ServerProcessId();
            }
            Assert.False(IsAlive(pid), "the worker outlived its proxy");
        }
        finally
        {
            KillQuietly(pid);
        }
    }

    [Fact]
    public async Task A_crashed_worker_fails_pending_calls_and_a_new_one_can_be_spawned()
    {
        int first = 0;
        int second = 0;
        try
        {
            using var worker = Spawn();
            first = worker.ServerProcessId();
            Task<int> blocked = Task.Run(() => worker.Block(60_000));
            Eventually.True(() => worker.Client.IsConnected, "connected");

            using (var process = Process.GetProcessById(first))
            {
                process.Kill();
            }
            var stopwatch = Stopwatch.StartNew();
            Task done = await Task.WhenAny(blocked, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.Same(blocked, done);
            await Assert.ThrowsAsync<IpcDisconnectedException>(() => blocked);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"the crash was noticed after {stopwatch.Elapsed.TotalMilliseconds:0} ms");
            Assert.Throws<IpcDisconnectedException>(() => worker.Add(1, 1));

            using var restarted = Spawn();
            second = restarted.ServerProcessId();
            Assert.NotEqual(first, second);
            Assert.Equal(2, restarted.Add(1, 1));
        }
        finally
        {
            KillQuietly(first);
            KillQuietly(second);
        }
    }

    [Fact]
    public void A_worker_dies_with_its_parent()
    {
        int workerPid = 0;
        try
        {
            using (RemoteHost parent = RemoteHost.Start("spawn-worker", "-", IpcTransport.UnixSocket))
            {
                string line = parent.ReadLine(TimeSpan.FromSeconds(30));
                Assert.StartsWith("WORKER ", line);
                workerPid = int.Parse(line.AsSpan(7));
                Assert.True(IsAlive(workerPid));
                parent.KillHard();
            }
            Eventually.True(() => !IsAlive(workerPid), "the worker exited after its parent was killed");
        }
        finally
        {
            KillQuietly(workerPid);
        }
    }

    [Fact]
    public void Serving_as_a_worker_in_a_process_not_started_as_one_is_refused()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ITestService.ServeWorker(new TestService()));
        Assert.Contains(IpcWorker.DescriptorsVariable, ex.Message);
    }
}
