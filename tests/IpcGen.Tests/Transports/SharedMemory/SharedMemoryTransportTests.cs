using IpcGen.Protocol;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports;
using IpcGen.Transports.SharedMemory;

namespace IpcGen.Tests.Transports.SharedMemory;

/// <summary>What only the shared-memory transport has: rings, wait strategies, a segment a peer can scribble on.</summary>
public sealed class SharedMemoryTransportTests
{
    public static TheoryData<IpcWaitStrategy> Strategies => new() { IpcWaitStrategy.Adaptive, IpcWaitStrategy.Spin, IpcWaitStrategy.Blocking };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Every_wait_strategy_carries_sync_and_async_calls(IpcWaitStrategy strategy)
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory, o => o.WaitStrategy = strategy);
        using var client = server.Connect(o => o.WaitStrategy = strategy);
        for (int i = 0; i < 1_000; i++)
        {
            Assert.Equal(i + 1, client.Add(i, 1));
            Assert.Equal(i + 2, await client.AddAsync(i, 2));
        }
        Assert.Equal("ok", await client.EchoAsync("ok"));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Every_wait_strategy_allocates_nothing_per_call(IpcWaitStrategy strategy)
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory, o => o.WaitStrategy = strategy);
        using var client = server.Connect(o => o.WaitStrategy = strategy);
        AllocationProbe.SyncCalls(client, 2_000);
        AllocationProbe.AsyncCalls(client, 2_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        AllocationProbe.SyncCalls(client, 10_000);
        AllocationProbe.AsyncCalls(client, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated / 20_000 == 0, $"{allocated} bytes over 20,000 calls");
    }

    [Fact]
    public void A_16_MiB_argument_streams_through_a_64_KiB_ring()
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory, o =>
        {
            o.SharedMemoryRingSize = 64 * 1024;
            o.MaxMessageSize = 32 * 1024 * 1024;
        });
        using var client = server.Connect(o => o.MaxMessageSize = 32 * 1024 * 1024);
        var data = new byte[16 * 1024 * 1024];
        new Random(7).NextBytes(data);
        Assert.Equal(data.Sum(b => (long)b), client.Sum(data));
        byte[] back = client.Blob(16 * 1024 * 1024);
        Assert.Equal(16 * 1024 * 1024, back.Length);
        Assert.Equal(unchecked((byte)(123_456 * 31)), back[123_456]);
    }

    [Fact]
    public async Task Frames_wrap_around_the_end_of_the_ring_intact()
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory, o => o.SharedMemoryRingSize = 4096);
        using var client = server.Connect();
        // Odd sizes so frame boundaries land everywhere in a 4 KiB ring, wraps included.
        for (int size = 1; size < 3_000; size += 97)
        {
            string text = new string((char)('a' + size % 26), size);
            Assert.Equal(text, await client.EchoAsync(text));
        }
    }

    [Fact]
    public async Task Thirty_two_clients_lose_and_duplicate_no_call()
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory);
        const int Clients = 32;
        const int Calls = 100;
        var clients = Enumerable.Range(0, Clients).Select(_ => server.Connect()).ToArray();
        try
        {
            await Task.WhenAll(clients.Select((client, c) => Task.Run(() =>
            {
                for (int i = 0; i < Calls; i++)
                {
                    client.Record($"c{c}-{i}");
                    Assert.Equal(c * 1000 + i, client.Add(c * 1000, i));
                }
            })));
            Assert.Equal(Clients, server.Server.ConnectionCount);
            for (int c = 0; c < Clients; c++)
            {
                // One-way calls are dispatched in order before the count is asked on the same connection.
                Assert.Equal(Calls, clients[c].RecordedCount($"c{c}-"));
            }
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
    public void A_ring_size_that_is_not_a_power_of_two_is_refused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new InProcessServer(IpcTransport.SharedMemory, o => o.SharedMemoryRingSize = 100_000));
        Assert.Contains("power of two", ex.Message);
    }

    [Fact]
    public unsafe void A_record_too_long_for_the_ring_closes_that_connection_only()
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory);
        using var bystander = server.Connect();
        var channel = ConnectRaw(server);
        try
        {
            byte* ring = channel.Segment + SharedMemoryLayout.RingOffset(256 * 1024, 0);
            byte* record = ring + SharedMemoryLayout.RingControlSize;
            // The client publishes a first record that claims to be far longer than any record may be.
            *(int*)(record + 8) = int.MaxValue / 2;
            *(int*)(record + 12) = SharedMemoryRing.TypeFrame;
            long tagKey = *(long*)(channel.Segment + 40);
            Volatile.Write(ref *(long*)record, 0 ^ tagKey); // the tag of the record at position 0
            Interlocked.Increment(ref *(int*)(ring + SharedMemoryLayout.DataSignalOffset));
            Interop.Futex.Wake((int*)(ring + SharedMemoryLayout.DataSignalOffset));

            server.Log.WaitFor(7, "exceeds the record limit");
            Assert.Equal(5, bystander.Add(2, 3));
            Eventually.True(() => server.Server.ConnectionCount == 1, "the corrupted connection is gone");
        }
        finally
        {
            channel.Dispose();
        }
    }

    [Fact]
    public unsafe void Random_scribbles_over_the_segment_never_take_the_server_down()
    {
        using var server = new InProcessServer(IpcTransport.SharedMemory, o => o.MaxMessageSize = 64 * 1024);
        using var bystander = server.Connect();
        var random = new Random(99);
        for (int round = 0; round < 30; round++)
        {
            var channel = ConnectRaw(server);
            try
            {
                var segment = new Span<byte>(channel.Segment, (int)channel.SegmentSize);
                for (int i = 0; i < 64; i++)
                {
                    // Mostly the control lines (positions, futex words, flags), sometimes anywhere.
                    int offset = random.Next(4) == 0
                        ? random.Next(segment.Length - 8)
                        : SharedMemoryLayout.HeaderSize + random.Next(SharedMemoryLayout.RingControlSize - 8);
                    random.NextBytes(segment.Slice(offset, 8));
                }
                Interop.Futex.Wake((int*)(channel.Segment + SharedMemoryLayout.RingOffset(256 * 1024, 0) + SharedMemoryLayout.DataSignalOffset));
                var garbage = new byte[random.Next(1, 200)];
                random.NextBytes(garbage);
                try
                {
                    channel.Send(garbage);
                }
                catch (IpcException)
                {
                    // Our own side may refuse to write into a ring whose positions we scribbled.
                }
            }
            finally
            {
                channel.Dispose();
            }
        }
        Assert.Equal(5, bystander.Add(2, 3));
        Eventually.True(() => server.Server.ConnectionCount == 1, "every scribbled connection closed");
    }

    [Fact]
    public void A_whole_frame_is_received_in_place_and_a_frame_put_together_from_pieces_is_not()
    {
        // The server borrows arguments in place only from the ring: a frame rebuilt in a managed buffer
        // could be moved by the garbage collector under a pointer.
        string endpoint = TestEnvironment.NewEndpoint();
        using var listener = SharedMemoryListener.Bind(endpoint, new IpcServerOptions { SharedMemoryRingSize = 16 * 1024 });
        FrameChannel? accepted = null;
        var acceptor = new Thread(() => accepted = listener.Accept());
        acceptor.Start();
        using FrameChannel client = ConnectRaw(endpoint);
        Assert.True(acceptor.Join(TimeSpan.FromSeconds(30)), "the listener accepted the connection");
        using FrameChannel server = accepted!;

        var small = new byte[FrameHeader.Size + 100];
        new FrameHeader(100, FrameKind.Request, 0, 1, 1).Write(small);
        var large = new byte[FrameHeader.Size + 10_000]; // more than a record of a 16 KiB ring holds
        new FrameHeader(10_000, FrameKind.Request, 0, 1, 2).Write(large);
        large[^1] = 0x5A;
        client.Send(small);
        client.Send(large);
        client.Send(small);

        Assert.True(server.TryReceive(1 << 20, out FrameHeader first, out _));
        Assert.Equal(1u, first.CallId);
        Assert.True(server.ReceivedInPlace);
        Assert.True(server.TryReceive(1 << 20, out FrameHeader second, out ReadOnlySpan<byte> payload));
        Assert.Equal(2u, second.CallId);
        Assert.Equal(10_000, payload.Length);
        Assert.Equal(0x5A, payload[^1]);
        Assert.False(server.ReceivedInPlace);
        Assert.True(server.TryReceive(1 << 20, out _, out _));
        Assert.True(server.ReceivedInPlace);
        server.ReleaseReceived();
        Assert.False(server.ReceivedInPlace);
    }

    [Fact]
    public void The_control_socket_is_private_and_removed_on_a_clean_stop()
    {
        string path;
        using (var server = new InProcessServer(IpcTransport.SharedMemory))
        {
            path = server.Server.Endpoint;
            Assert.EndsWith(".shm.sock", path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.False(File.Exists(path));
    }

    /// <summary>A transport-level connection with no protocol on top: the hostile peer's view.</summary>
    private static SharedMemoryChannel ConnectRaw(InProcessServer server) => ConnectRaw(server.Endpoint);

    private static SharedMemoryChannel ConnectRaw(string endpoint)
        => (SharedMemoryChannel)TransportFactory.ConnectAsync(IpcTransport.SharedMemory, endpoint, new IpcClientOptions(), default).AsTask().GetAwaiter().GetResult();
}
