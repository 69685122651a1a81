using System.Diagnostics;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

/// <summary>What happens when the process at the other end is killed with SIGKILL.</summary>
public sealed class PeerDeathTests
{
    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Killing_the_server_fails_every_pending_call_within_a_second(IpcTransport transport)
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using RemoteHost host = RemoteHost.Start("serve", endpoint, transport);
        using var client = ITestService.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport });
        using var second = ITestService.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport });

        Task delayed = client.DelayAsync(60_000, "a", CancellationToken.None);
        Task<int> blocked = Task.Run(() => second.Block(60_000));
        Assert.Equal(3, client.Add(1, 2)); // the connection works while the calls are pending

        host.KillHard();
        var stopwatch = Stopwatch.StartNew();
        foreach (Task pending in new[] { delayed, blocked })
        {
            Task first = await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.Same(pending, first);
            var ex = await Assert.ThrowsAsync<IpcDisconnectedException>(() => pending);
            Assert.Contains("closed the connection", ex.Message);
        }
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"pending calls failed after {stopwatch.Elapsed.TotalMilliseconds:0} ms");
        Assert.False(client.Client.IsConnected);
        Assert.Throws<IpcDisconnectedException>(() => client.Add(1, 2));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Killing_a_client_frees_its_connection_and_cancels_its_calls(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using RemoteHost client = RemoteHost.Start("block-call", server.Endpoint, transport);
        Assert.True(server.Service.CallStarted.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, server.Server.ConnectionCount);

        client.KillHard();

        Eventually.True(() => server.Server.ConnectionCount == 0, "the server dropped the dead client's connection");
        Eventually.True(() => server.Service.WasCancelled("remote-client"), "the dead client's call was cancelled");
        using var other = server.Connect();
        Assert.Equal(7, other.Add(3, 4));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_client_reconnects_to_a_restarted_server(IpcTransport transport)
    {
        string endpoint = TestEnvironment.NewEndpoint();
        var options = new IpcClientOptions { Endpoint = endpoint, Transport = transport };
        using (RemoteHost host = RemoteHost.Start("serve", endpoint, transport))
        {
            using var client = ITestService.Connect(options);
            Assert.Equal(2, client.Add(1, 1));
            host.KillHard();
            Assert.Throws<IpcDisconnectedException>(() => client.Add(1, 1));
        }
        // The crashed server left its socket and lock files; the new one reclaims them.
        using RemoteHost restarted = RemoteHost.Start("serve", endpoint, transport);
        using var again = ITestService.Connect(options);
        Assert.Equal(4, again.Add(2, 2));
        Assert.Equal(restarted.ProcessId, again.ServerProcessId());
    }
}
