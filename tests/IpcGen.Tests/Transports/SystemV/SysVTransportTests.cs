using IpcGen.Protocol;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports;
using IpcGen.Transports.Queues;
using IpcGen.Transports.SystemV;

namespace IpcGen.Tests.Transports.SystemV;

/// <summary>
/// What the System V transport adds to the behaviour suite: one queue shared by every connection of a server
/// (limits, fragmentation, a full queue), its key, its reclaiming, and hostile messages below the frame level.
/// </summary>
public sealed class SysVTransportTests
{
    private const int ProtocolViolation = 7;

    private static int KeyOf(string endpoint) => SysVEndpoint.Key(SysVEndpoint.Path(endpoint, createDirectory: false));

    private static Interop.SysVMsg.QueueStatus StatusOf(string endpoint)
    {
        int id = Interop.SysVMsg.MsgGet(KeyOf(endpoint), 0);
        Assert.True(id >= 0, "the server's queue exists");
        return Interop.SysVMsg.Stat(id) ?? throw new InvalidOperationException("IPC_STAT failed");
    }

    [Fact]
    public void The_key_is_derived_from_the_endpoint_and_the_queue_is_private_to_the_user()
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        int key = KeyOf(server.Endpoint);
        Assert.NotEqual(0, key); // never IPC_PRIVATE
        Assert.Equal(key, KeyOf(server.Endpoint));
        Assert.NotEqual(key, KeyOf(server.Endpoint + "-other"));
        Interop.SysVMsg.QueueStatus status = StatusOf(server.Endpoint);
        Assert.Equal(0b110_000_000u, status.Mode);
        Assert.Equal(Interop.Libc.GetUid(), status.UserId);
    }

    [Fact]
    public void Arguments_and_results_of_more_than_a_megabyte_travel_in_fragments()
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        using var client = server.Connect();
        var data = new byte[(1 << 20) + 12_345];
        new Random(7).NextBytes(data);
        long expected = 0;
        foreach (byte b in data)
        {
            expected += b;
        }
        Assert.Equal(expected, client.Sum(data));
        byte[] blob = client.Blob((1 << 20) + 999);
        Assert.Equal((1 << 20) + 999, blob.Length);
        Assert.Equal(server.Service.Blob(blob.Length), blob);
        Assert.Equal(0, StatusOf(server.Endpoint).Messages);
    }

    [Fact]
    public async Task Pipelined_calls_that_overfill_the_shared_queue_all_complete()
    {
        // Each request and each reply is most of a message, and hundreds are in flight at once: the queue's
        // 16 KiB fill with one client's requests while the server thread, running the calls inline, needs
        // room for their replies. It must take its own requests aside rather than wait for room forever.
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        using var first = server.Connect();
        using var second = server.Connect();
        string text = new('x', 6000);
        var calls = new List<Task<string>>();
        for (int i = 0; i < 300; i++)
        {
            string mine = text + i;
            calls.Add((i % 2 == 0 ? first : second).EchoAsync(mine));
        }
        string[] results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(text + i, results[i]);
        }
        Assert.Equal(5, first.Add(2, 3));
    }

    [Fact]
    public async Task Concurrent_megabyte_calls_from_several_clients_share_the_queue()
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        var clients = Enumerable.Range(0, 4).Select(_ => server.Connect()).ToArray();
        try
        {
            var data = new byte[1 << 20];
            data.AsSpan().Fill(1);
            long[] sums = await Task.WhenAll(clients.SelectMany(c => Enumerable.Range(0, 3).Select(_ => Task.Run(() => c.Sum(data)))))
                .WaitAsync(TimeSpan.FromSeconds(60));
            Assert.All(sums, s => Assert.Equal(1 << 20, s));
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
    public void Killing_a_client_purges_its_messages_from_the_shared_queue()
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        using (RemoteHost client = RemoteHost.Start("block-call", server.Endpoint, IpcTransport.SystemVMessageQueue))
        {
            Assert.True(server.Service.CallStarted.Wait(TimeSpan.FromSeconds(10)));
            client.KillHard();
        }
        Eventually.True(() => server.Server.ConnectionCount == 0, "the server dropped the dead client's connection", timeoutMs: 1000);
        Eventually.True(() => StatusOf(server.Endpoint).Messages == 0, "nothing of the dead client is left in the queue");
        using var other = server.Connect();
        Assert.Equal(7, other.Add(3, 4));
    }

    [Fact]
    public void Closed_connections_leave_nothing_in_the_queue()
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        for (int i = 0; i < 20; i++)
        {
            using var client = server.Connect();
            Assert.Equal(i + 1, client.Add(i, 1));
        }
        Eventually.True(() => server.Server.ConnectionCount == 0 && StatusOf(server.Endpoint).Messages == 0, "every closed connection purged");
    }

    [Fact]
    public void A_stale_queue_of_ours_at_the_key_is_reclaimed()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        int key = KeyOf(endpoint);
        int stale = Interop.SysVMsg.MsgGet(key, Interop.SysVMsg.IPC_CREAT | Interop.SysVMsg.IPC_EXCL | 0b110_000_000);
        Assert.True(stale >= 0);
        try
        {
            using (var server = new InProcessServer(IpcTransport.SystemVMessageQueue, endpoint: endpoint))
            {
                using var client = server.Connect();
                Assert.Equal(2, client.Add(1, 1));
                Assert.NotEqual(stale, Interop.SysVMsg.MsgGet(key, 0));
            }
            Assert.False(EndpointLeftovers.SystemVQueueExists(key));
        }
        finally
        {
            Interop.SysVMsg.Remove(stale);
        }
    }

    [Fact]
    public void A_queue_that_is_not_ours_at_the_key_is_left_alone_and_named_in_the_error()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        int key = KeyOf(endpoint);
        // Another program's queue (here: a mode we never create) happens to use the same key.
        int foreign = Interop.SysVMsg.MsgGet(key, Interop.SysVMsg.IPC_CREAT | Interop.SysVMsg.IPC_EXCL | 0b110_100_000);
        Assert.True(foreign >= 0);
        try
        {
            var ex = Assert.Throws<IpcException>(() => new InProcessServer(IpcTransport.SystemVMessageQueue, endpoint: endpoint));
            Assert.Contains(SysVEndpoint.KeyText(key), ex.Message);
            Assert.Equal(foreign, Interop.SysVMsg.MsgGet(key, 0));
        }
        finally
        {
            Interop.SysVMsg.Remove(foreign);
        }
    }

    [Fact]
    public async Task Shutdown_wakes_a_blocked_receive()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using var listener = SysVListener.Bind(endpoint);
        var accepting = Task.Run(listener.Accept);
        using FrameChannel client = await SysVConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None);
        using FrameChannel? accepted = await accepting;
        Assert.NotNull(accepted);
        var receiving = Task.Run(() => client.TryReceive(4096, out _, out _));
        await Task.Delay(50);
        Assert.False(receiving.IsCompleted);
        client.Shutdown();
        Assert.False(await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Shutdown_on_a_full_queue_wakes_the_receive_once_there_is_room()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using var listener = SysVListener.Bind(endpoint);
        var accepting = Task.Run(listener.Accept);
        using var client = (SysVChannel)await SysVConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None);
        using FrameChannel? accepted = await accepting;
        int queueId = client.Route.QueueId;
        const long Filler = 999_999_999; // a type nobody reads
        var chunk = new byte[1024];
        while (SendRaw(queueId, Filler, chunk) == 0)
        {
        }
        try
        {
            var receiving = Task.Run(() => client.TryReceive(4096, out _, out _));
            await Task.Delay(50);
            client.Shutdown(); // no room for the wake-up message: the watcher retries it
            // Whether the receive is still blocked at this point is not asserted: on a loaded machine it may
            // only start after Shutdown, and then it returns at once. What must hold is that it ends.
            await Task.Delay(100);
            PurgeType(queueId, Filler);
            Assert.False(await receiving.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            PurgeType(queueId, Filler);
        }
    }

    [Fact]
    public async Task A_peer_that_never_reads_its_replies_is_given_up_after_the_stall_limit()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using var listener = SysVListener.Bind(endpoint, sendStallLimit: TimeSpan.FromMilliseconds(300));
        var accepting = Task.Run(listener.Accept);
        using FrameChannel client = await SysVConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None);
        using FrameChannel server = (await accepting)!;
        var frame = new byte[FrameHeader.Size + 4000];
        new FrameHeader(4000, FrameKind.Response, 0, 1, 1).Write(frame);
        var sending = Task.Run(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                server.Send(frame); // the client never reads: the queue fills, then the send gives up
            }
        });
        await Assert.ThrowsAsync<IpcDisconnectedException>(() => sending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(server.TryReceive(4096, out _, out _), "the given-up connection reads end of stream");
    }

    [Fact]
    public void Malformed_and_forged_connect_requests_are_ignored_and_the_server_keeps_accepting()
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        int queueId = Interop.SysVMsg.MsgGet(KeyOf(server.Endpoint), 0);
        Assert.Equal(0, SendRaw(queueId, SysVEndpoint.ConnectType, new byte[] { 1, 2, 3 })); // not an envelope
        var forged = new byte[QueueMessage.HeaderSize + QueueMessage.ConnectBodySize];
        QueueMessage.WriteConnect(forged, int.MaxValue - 1, 1); // a pid that does not exist
        Assert.Equal(0, SendRaw(queueId, SysVEndpoint.ConnectType, forged));
        var wrongKind = new byte[QueueMessage.HeaderSize];
        QueueMessage.WriteHeader(wrongKind, 0, QueueMessageKind.Whole);
        Assert.Equal(0, SendRaw(queueId, SysVEndpoint.ConnectType, wrongKind));
        using var client = server.Connect();
        Assert.Equal(3, client.Add(1, 2));
        Assert.Equal(1, server.Server.ConnectionCount);
    }

    [Fact]
    public void A_malformed_envelope_closes_that_connection_only()
        => AssertRawMessageClosesTheConnection(message =>
        {
            message[4] = 99; // no such message kind
            return QueueMessage.HeaderSize;
        }, "malformed message envelope");

    [Fact]
    public void A_piece_of_a_frame_that_was_never_begun_closes_that_connection_only()
        => AssertRawMessageClosesTheConnection(message =>
        {
            message[4] = (byte)QueueMessageKind.End;
            return QueueMessage.HeaderSize + 10;
        }, "no fragmented frame begun");

    [Fact]
    public void A_fragmented_frame_longer_than_its_header_says_closes_that_connection_only()
        => AssertRawMessageClosesTheConnection(message =>
        {
            // Begin with a header announcing 20 bytes but carrying 40: a first piece holding the whole frame.
            message[4] = (byte)QueueMessageKind.Begin;
            new FrameHeader(20, FrameKind.Request, 0, 1, 1).Write(message.Slice(QueueMessage.HeaderSize));
            return QueueMessage.HeaderSize + FrameHeader.Size + 40;
        }, "first piece already holds the whole frame");

    [Fact]
    public void A_message_for_another_connection_closes_that_connection_only()
        => AssertRawMessageClosesTheConnection(message =>
        {
            message[0] ^= 0x55; // the connection field
            return QueueMessage.HeaderSize + FrameHeader.Size;
        }, "arrived on connection");

    /// <summary>
    /// Connects at the transport level, sends a good handshake, then puts one message straight on the queue
    /// (envelope written by <paramref name="write"/>, which returns the message size), bypassing the channel.
    /// </summary>
    private static void AssertRawMessageClosesTheConnection(SpanFunc write, string expectedReason)
    {
        using var server = new InProcessServer(IpcTransport.SystemVMessageQueue);
        using var bystander = server.Connect();
        using var raw = (SysVChannel)RawPeer.ConnectChannel(IpcTransport.SystemVMessageQueue, server.Endpoint);
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
        new Handshake(ITestService.IpcContractFingerprint, 1 << 20, ITestService.IpcContractName).Write(writer);
        raw.Send(writer.Complete());
        writer.Release();
        Assert.True(raw.TryReceive(4096, out FrameHeader ack, out _));
        Assert.Equal(FrameKind.HandshakeAck, ack.Kind);

        (int queueId, long writeType, uint connection) = raw.Route;
        var envelope = new byte[256];
        QueueMessage.WriteHeader(envelope, connection, QueueMessageKind.Whole);
        int size = write(envelope);
        Assert.Equal(0, SendRaw(queueId, writeType, envelope.AsSpan(0, size)));
        Assert.False(raw.TryReceive(4096, out _, out _), "the server closed the connection");
        server.Log.WaitFor(ProtocolViolation, expectedReason);
        Assert.Equal(5, bystander.Add(2, 3));
        using var newcomer = server.Connect();
        Assert.Equal(7, newcomer.Add(3, 4));
    }

    private delegate int SpanFunc(Span<byte> envelope);

    private static unsafe void PurgeType(int queueId, long type)
    {
        var buffer = new byte[sizeof(long) + 8192];
        fixed (byte* message = buffer)
        {
            while (Interop.SysVMsg.MsgRcv(queueId, message, 8192, type, Interop.SysVMsg.IPC_NOWAIT | Interop.SysVMsg.MSG_NOERROR) >= 0)
            {
            }
        }
    }

    private static unsafe int SendRaw(int queueId, long type, ReadOnlySpan<byte> body)
    {
        var buffer = new byte[sizeof(long) + body.Length];
        fixed (byte* message = buffer)
        {
            *(long*)message = type;
            body.CopyTo(buffer.AsSpan(sizeof(long)));
            return Interop.SysVMsg.MsgSnd(queueId, message, (nuint)body.Length, Interop.SysVMsg.IPC_NOWAIT);
        }
    }
}
