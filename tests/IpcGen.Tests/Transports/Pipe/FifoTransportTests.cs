using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports.Pipe;

namespace IpcGen.Tests.Transports.Pipe;

/// <summary>What the FIFO transport adds to the behaviour suite: its connect FIFO and its client FIFO pairs.</summary>
public sealed class FifoTransportTests
{
    [Fact]
    public async Task Clients_connecting_at_once_each_get_their_own_FIFO_pair()
    {
        using var server = new InProcessServer(IpcTransport.Pipe);
        var clients = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => server.Connect())));
        try
        {
            for (int i = 0; i < clients.Length; i++)
            {
                Assert.Equal(i + 1, clients[i].Add(i, 1));
            }
            Assert.Equal(16, server.Server.ConnectionCount);
            // Every pair was unlinked once both sides had it open: only the connect FIFO and lock remain.
            Assert.Empty(EndpointLeftovers.ClientObjects(server.Endpoint, IpcTransport.Pipe));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public void A_malformed_connect_record_is_ignored_and_the_server_keeps_accepting()
    {
        using var server = new InProcessServer(IpcTransport.Pipe);
        string fifo = FifoNames.ConnectFifo(server.Endpoint, createDirectory: false);
        using (var stream = new FileStream(fifo, FileMode.Open, FileAccess.Write))
        {
            stream.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7 }); // not a whole record
            var forged = new byte[FifoNames.RecordSize];
            FifoNames.WriteConnect(forged, int.MaxValue - 1, 1); // a pid that does not exist
            stream.Write(forged);
        }
        using var client = server.Connect();
        Assert.Equal(3, client.Add(1, 2));
    }

    [Fact]
    public void A_restarted_server_reclaims_client_FIFOs_left_by_a_crash()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using (RemoteHost host = RemoteHost.Start("serve", endpoint, IpcTransport.Pipe))
        {
            host.KillHard();
        }
        // A client killed between creating its pair and the server opening it leaves the pair behind.
        string fifo = FifoNames.ConnectFifo(endpoint, createDirectory: false);
        File.WriteAllText(FifoNames.Request(fifo, 999_999, 1), "");
        File.WriteAllText(FifoNames.Response(fifo, 999_999, 1), "");
        Assert.NotEmpty(EndpointLeftovers.ClientObjects(endpoint, IpcTransport.Pipe));

        using (var server = new InProcessServer(IpcTransport.Pipe, endpoint: endpoint))
        {
            Assert.Empty(EndpointLeftovers.ClientObjects(endpoint, IpcTransport.Pipe));
            using var client = server.Connect();
            Assert.Equal(2, client.Add(1, 1));
        }
        Assert.All(EndpointLeftovers.Of(endpoint, IpcTransport.Pipe), o => Assert.False(o.Exists, o.What));
    }

    [Fact]
    public void Killing_a_client_mid_call_leaves_no_FIFO_behind()
    {
        using var server = new InProcessServer(IpcTransport.Pipe);
        using (RemoteHost client = RemoteHost.Start("block-call", server.Endpoint, IpcTransport.Pipe))
        {
            Assert.True(server.Service.CallStarted.Wait(TimeSpan.FromSeconds(10)));
            client.KillHard();
        }
        Eventually.True(() => server.Server.ConnectionCount == 0, "the server dropped the dead client");
        Assert.Empty(EndpointLeftovers.ClientObjects(server.Endpoint, IpcTransport.Pipe));
    }

    [Fact]
    public void Connect_records_are_found_among_garbage_in_the_same_read()
    {
        // What the connect FIFO holds when a writer's garbage and honest clients' records arrive
        // before the server reads: every honest record must still be found.
        var buffer = new List<byte>();
        buffer.AddRange(new byte[] { 1, 2, 3, 4, 5, 6, 7 });
        var record = new byte[FifoNames.RecordSize];
        FifoNames.WriteConnect(record, 4242, 7);
        buffer.AddRange(record);
        buffer.AddRange(new byte[] { 0x50, 0x49, 0x43 }); // the start of a magic, then nothing
        FifoNames.WriteConnect(record, 4343, 8);
        buffer.AddRange(record);

        int start = 0;
        Assert.True(FifoNames.FindConnect(buffer.ToArray(), ref start, out int pid, out uint sequence));
        Assert.Equal((4242, 7u), (pid, sequence));
        Assert.True(FifoNames.FindConnect(buffer.ToArray(), ref start, out pid, out sequence));
        Assert.Equal((4343, 8u), (pid, sequence));
        Assert.False(FifoNames.FindConnect(buffer.ToArray(), ref start, out _, out _));
        Assert.Equal(buffer.Count, start);
    }
}
