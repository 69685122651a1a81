using IpcGen.Protocol;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports;
using IpcGen.Transports.SharedMemory;
using MessagePack;
using MessagePack.Formatters;

namespace IpcGen.Tests.Transports.SharedMemory;

/// <summary>A value whose MessagePack formatter runs a test's code while the proxy writes the request.</summary>
[MessagePackFormatter(typeof(HookedFormatter))]
public sealed class Hooked
{
    public Hooked(int value, Action? whileWritten = null)
    {
        Value = value;
        WhileWritten = whileWritten;
    }

    public int Value { get; }

    public Action? WhileWritten { get; }
}

public sealed class HookedFormatter : IMessagePackFormatter<Hooked>
{
    public void Serialize(ref MessagePackWriter writer, Hooked value, MessagePackSerializerOptions options)
    {
        value.WhileWritten?.Invoke();
        writer.Write(value.Value);
    }

    public Hooked Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => new(reader.ReadInt32());
}

[IpcService(Name = "Tests.IInPlace", Transport = IpcTransport.SharedMemory)]
public partial interface IInPlace
{
    int Twice(Hooked value);

    /// <summary>An unmanaged argument before one that runs user code.</summary>
    int Mixed(int a, Hooked b);

    int Sum(int a, int b, CancellationToken cancellationToken);

    byte[] Echo(byte[] data);
}

public sealed class InPlaceService : IInPlace
{
    public int Twice(Hooked value) => 2 * value.Value;

    public int Mixed(int a, Hooked b) => a + b.Value;

    public int Sum(int a, int b, CancellationToken cancellationToken) => a + b;

    public byte[] Echo(byte[] data) => data;
}

/// <summary>
/// A synchronous call on shared memory with nobody else reading becomes the reader, sends its request only
/// if the ring takes it at once, and reads its own answer; otherwise it goes the usual way (registered, sent
/// with waiting, answered through whoever reads). The request is built in the call's own buffer, so user
/// code (a MessagePack formatter) never runs while the send side is held.
/// </summary>
public sealed class SyncReaderSendTests
{
    private static (IpcServer Server, IInPlace.IpcProxy Client) Start(int ringSize = 64 * 1024)
    {
        string endpoint = TestEnvironment.NewEndpoint("inplace");
        IpcServer server = IInPlace.Serve(new InPlaceService(), new IpcServerOptions { Endpoint = endpoint, SharedMemoryRingSize = ringSize });
        return (server, IInPlace.Connect(new IpcClientOptions { Endpoint = endpoint }));
    }

    /// <summary>Other threads' calls all complete: nothing was left taken (they would wait forever).</summary>
    private static void AssertSendSideFree(IInPlace.IpcProxy client)
    {
        var others = Task.Run(() => Parallel.For(0, 200, i => Assert.Equal(2 * i + 1, client.Sum(i, i + 1, default))));
        Assert.True(others.Wait(TimeSpan.FromSeconds(60)), "the send side or the reader role was left taken");
    }

    [Fact]
    public async Task A_frame_goes_without_waiting_only_while_the_ring_has_room_for_it_whole()
    {
        const int ringSize = 16 * 1024;
        string endpoint = TestEnvironment.NewEndpoint();
        using var listener = SharedMemoryListener.Bind(endpoint, new IpcServerOptions { SharedMemoryRingSize = ringSize });
        SharedMemoryChannel? accepted = null;
        var acceptor = new Thread(() => accepted = (SharedMemoryChannel)listener.Accept()!);
        acceptor.Start();
        using var client = (SharedMemoryChannel)await TransportFactory.ConnectAsync(IpcTransport.SharedMemory, endpoint, new IpcClientOptions(), default);
        Assert.True(acceptor.Join(TimeSpan.FromSeconds(30)));
        using SharedMemoryChannel server = accepted!;
        Assert.True(client.CanSendWithoutWaiting);

        // As a synchronous caller does it: both roles at once, the send, both roles given back.
        bool SendWithoutWaiting(byte[] frame)
        {
            Assert.True(client.TryEnterReceiverAndSender());
            try
            {
                return client.SendWithoutWaitingHeld(frame);
            }
            finally
            {
                client.ExitSender();
                client.ExitReceiver();
            }
        }

        byte[] Frame(uint callId, int payload)
        {
            var frame = new byte[FrameHeader.Size + payload];
            new FrameHeader((uint)payload, FrameKind.Request, 0, 7, callId).Write(frame);
            return frame;
        }

        // A record holds at most ring/4 - 16 bytes: a larger frame travels in pieces, which may wait.
        Assert.False(SendWithoutWaiting(Frame(1, ringSize / 4)));
        int sent = 0;
        while (SendWithoutWaiting(Frame((uint)sent + 1, 992)))
        {
            sent++;
        }
        Assert.Equal(ringSize / 1024, sent); // 1,008-byte frames take 1,024 bytes each with their record header: the ring is full, and nothing waited
        // The reader gives space back an eighth of the ring at a time (2 KiB here: two of these frames).
        Assert.True(server.TryReceive(4096, out FrameHeader first, out _));
        Assert.Equal(1u, first.CallId);
        server.ReleaseReceived();
        Assert.False(SendWithoutWaiting(Frame(98, 992)), "one frame read is not yet given back");
        Assert.True(server.TryReceive(4096, out FrameHeader second, out _));
        Assert.Equal(2u, second.CallId);
        server.ReleaseReceived();
        Assert.True(SendWithoutWaiting(Frame(99, 992)), "the space given back is used at once");
        for (uint id = 3; id <= sent; id++)
        {
            Assert.True(server.TryReceive(4096, out FrameHeader header, out _));
            Assert.Equal(id, header.CallId);
            server.ReleaseReceived();
        }
        Assert.True(server.TryReceive(4096, out FrameHeader last, out _));
        Assert.Equal(99u, last.CallId);
        server.ReleaseReceived();
    }

    [Fact]
    public void A_call_that_fails_before_its_send_leaves_the_send_side_and_the_reader_role_free()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            // Invoke refuses the cancelled token before sending.
            Assert.ThrowsAny<OperationCanceledException>(() => client.Sum(1, 2, cancelled.Token));
            // An unmanaged argument, then a formatter that throws.
            var ex = Assert.ThrowsAny<Exception>(() => client.Mixed(1, new Hooked(1, () => throw new InvalidOperationException("no"))));
            Assert.Contains("no", ex.ToString());
            Assert.Equal(42, client.Twice(new Hooked(21)));
            AssertSendSideFree(client);
            Assert.Equal(1, server.ConnectionCount);
        }
    }

    [Fact]
    public void Requests_of_every_size_arrive_whole_with_or_without_waiting()
    {
        var (server, client) = Start(ringSize: 16 * 1024);
        using (server)
        using (client)
        {
            var random = new Random(5);
            foreach (int size in new[] { 0, 100, 2_000, 3_950, 4_100, 20_000, 300_000 })
            {
                var data = new byte[size];
                random.NextBytes(data);
                Assert.Equal(data, client.Echo(data));
                Assert.Equal(42, client.Twice(new Hooked(21)));
            }
        }
    }

    [Theory]
    [InlineData(3_000)] // one record (at most 4,080 bytes here): sent without waiting when the ring has room, else the usual way
    [InlineData(6_000)] // two records: always the usual way
    public async Task Sync_callers_never_hold_the_reader_role_through_a_send_that_can_wait(int size)
    {
        // Small rings, large requests and answers from one caller in a loop and ten more at a time: a
        // caller that took the reader role and then waited for ring space would leave the answers that
        // the server is blocked on unread, and everyone would wait forever.
        var (server, client) = Start(ringSize: 16 * 1024);
        using (server)
        using (client)
        {
            var payload = new byte[size];
            Task sync = Task.Run(() =>
            {
                for (int i = 0; i < 300; i++)
                {
                    Assert.Equal(payload.Length, client.Echo(payload).Length);
                }
            });
            Task async = Task.Run(async () =>
            {
                for (int round = 0; round < 30; round++)
                {
                    var inFlight = Enumerable.Range(0, 10).Select(_ => Task.Run(() => client.Echo(payload))).ToArray();
                    foreach (byte[] answer in await Task.WhenAll(inFlight))
                    {
                        Assert.Equal(payload.Length, answer.Length);
                    }
                }
            });
            await Task.WhenAll(sync, async).WaitAsync(TimeSpan.FromMinutes(2));
        }
    }

    /// <summary>
    /// A server played by hand: it accepts one connection, reads the handshake (and keeps its record) and
    /// answers it, then leaves the connection to the test, which reads and writes the segment itself.
    /// </summary>
    private static (SharedMemoryListener Listener, IInPlace.IpcProxy Client, SharedMemoryChannel Server) ConnectToHandMadeServer(int ringSize)
    {
        string endpoint = TestEnvironment.NewEndpoint();
        var listener = SharedMemoryListener.Bind(endpoint, new IpcServerOptions { SharedMemoryRingSize = ringSize });
        SharedMemoryChannel? accepted = null;
        var acceptor = new Thread(() =>
        {
            var channel = (SharedMemoryChannel)listener.Accept()!;
            channel.TryReceive(4096, out _, out _);
            var writer = new FrameWriter();
            writer.Reset(FrameKind.HandshakeAck, 0, 0, int.MaxValue);
            new Handshake(IInPlace.IpcContractFingerprint, 1 << 20, IInPlace.IpcContractName).Write(writer);
            channel.Send(writer.Complete());
            writer.Release();
            accepted = channel;
        });
        acceptor.Start();
        var client = IInPlace.Connect(new IpcClientOptions { Endpoint = endpoint });
        Assert.True(acceptor.Join(TimeSpan.FromSeconds(30)));
        return (listener, client, accepted!);
    }

    [Fact]
    public unsafe void A_server_that_corrupts_the_ring_closes_the_client_while_another_call_reads()
    {
        // A hostile server: it completes the handshake by hand, never reads a request, and then claims in
        // its consumer position to have read more than was ever written.
        const int ringSize = 16 * 1024;
        var (listener, client, server) = ConnectToHandMadeServer(ringSize);
        using var listening = listener;
        using var calling = client;
        using var serving = server;
        byte* ring = server.Segment + SharedMemoryLayout.RingOffset(ringSize, 0);

        // 13 KB of request the server never reads: about 3 KB of the ring stay free as far as the client knows.
        Exception? unansweredFailure = null;
        var unanswered = new Thread(() =>
        {
            try
            {
                client.Echo(new byte[13_000]);
            }
            catch (Exception ex)
            {
                unansweredFailure = ex;
            }
        });
        unanswered.Start();
        long handshakeRecord = *(long*)(ring + SharedMemoryLayout.RingControlSize);
        Eventually.True(() => Volatile.Read(ref *(long*)(ring + SharedMemoryLayout.RingControlSize + 64)) != 0, "the request was published");
        *(long*)(ring + SharedMemoryLayout.ConsumerPositionOffset) = long.MaxValue / 2;

        // A 3.5 KB request (one record) does not fit that: its send, the usual way since the first call is
        // reading, looks at the consumer position.
        Exception? secondFailure = null;
        var second = new Thread(() =>
        {
            try
            {
                client.Echo(new byte[3_500]);
            }
            catch (Exception ex)
            {
                secondFailure = ex;
            }
        });
        second.Start();
        Assert.True(second.Join(TimeSpan.FromSeconds(30)), "the call that met the corrupted ring failed instead of waiting forever");
        Assert.IsType<IpcDisconnectedException>(secondFailure);
        Assert.Contains("broke the protocol", secondFailure.Message);
        Assert.False(client.Client.IsConnected);
        Assert.True(unanswered.Join(TimeSpan.FromSeconds(30)), "the unanswered call failed instead of waiting forever");
        Assert.IsType<IpcDisconnectedException>(unansweredFailure);
        Assert.NotEqual(0, handshakeRecord);
    }

    [Fact]
    public unsafe void A_server_that_corrupts_the_ring_closes_a_client_sending_without_waiting()
    {
        // A hostile server: it answers every request, reading them straight from the ring, but never gives
        // their space back, and claims in its consumer position to have read more than was ever written.
        // Each call is sent without waiting and reads its own answer, until the client's cached free space
        // runs out and it looks at the consumer position.
        const int ringSize = 16 * 1024;
        var (listener, client, server) = ConnectToHandMadeServer(ringSize);
        using var listening = listener;
        using var calling = client;
        using var serving = server;
        byte* ring = server.Segment + SharedMemoryLayout.RingOffset(ringSize, 0);
        byte* records = ring + SharedMemoryLayout.RingControlSize;
        long key = *(long*)(server.Segment + 40);
        long position = (SharedMemoryRing.RecordHeaderSize + *(int*)(records + 8) + 63) & ~63; // past the handshake's record
        *(long*)(ring + SharedMemoryLayout.ConsumerPositionOffset) = long.MaxValue / 2;

        int answered = 0;
        using var stop = new CancellationTokenSource();
        var answering = new Thread(() =>
        {
            var answer = new byte[FrameHeader.Size + 4];
            while (!stop.IsCancellationRequested)
            {
                byte* record = records + (position & (ringSize - 1));
                if (Volatile.Read(ref *(long*)record) != (position ^ key))
                {
                    Thread.Yield();
                    continue;
                }
                int length = *(int*)(record + 8);
                var request = FrameHeader.Read(new ReadOnlySpan<byte>(record + 16, FrameHeader.Size), int.MaxValue);
                new FrameHeader(4, FrameKind.Response, 0, request.MethodId, request.CallId).Write(answer);
                BitConverter.TryWriteBytes(answer.AsSpan(FrameHeader.Size), 7);
                server.Send(answer);
                Volatile.Write(ref answered, answered + 1);
                position += (16 + length + 63) & ~63;
            }
        });
        answering.Start();
        try
        {
            var failure = Assert.Throws<IpcDisconnectedException>(() =>
            {
                for (int i = 0; i < ringSize / 64 + 10; i++)
                {
                    Assert.Equal(7, client.Sum(i, 1, default));
                }
            });
            Assert.Contains("broke the protocol", failure.Message);
            Assert.False(client.Client.IsConnected);
            Assert.InRange(Volatile.Read(ref answered), ringSize / 64 - 10, ringSize / 64); // the ring filled up, answered call by call
        }
        finally
        {
            stop.Cancel();
            answering.Join();
        }
    }

    [Fact]
    public async Task A_serializer_may_call_the_same_client_from_this_thread_or_another()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            int nested = 0, fromAnotherThread = 0;
            // The formatter runs while the request is built, before the send side or the reader role is taken,
            // so neither the nested call nor the one the formatter waits for on another thread is held up.
            Task<int> outer = Task.Run(() => client.Mixed(5, new Hooked(1, () =>
            {
                nested = client.Sum(2, 2, default);
                fromAnotherThread = Task.Run(() => client.Sum(3, 3, default)).GetAwaiter().GetResult();
            })));
            Assert.Equal(6, await outer.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(4, nested);
            Assert.Equal(6, fromAnotherThread);
            AssertSendSideFree(client);
        }
    }
}
