using IpcGen.Protocol;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports;
using IpcGen.Transports.SharedMemory;
using MessagePack;
using MessagePack.Formatters;

namespace IpcGen.Tests.Transports.SharedMemory;

/// <summary>A value whose MessagePack formatter runs a test's code while the proxy writes it into the ring.</summary>
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

    /// <summary>An unmanaged argument (written in place) before one that runs user code.</summary>
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
/// Requests written straight into the ring: the send side is reserved from a call's first unmanaged
/// argument to its send, and given up before any user code (a MessagePack formatter) runs. A call that
/// ends before it is sent publishes nothing and frees the send side; a request that outgrows the lent
/// space still arrives whole.
/// </summary>
public sealed class InPlaceSendTests
{
    private static (IpcServer Server, IInPlace.IpcProxy Client) Start(int ringSize = 64 * 1024)
    {
        string endpoint = TestEnvironment.NewEndpoint("inplace");
        IpcServer server = IInPlace.Serve(new InPlaceService(), new IpcServerOptions { Endpoint = endpoint, SharedMemoryRingSize = ringSize });
        return (server, IInPlace.Connect(new IpcClientOptions { Endpoint = endpoint }));
    }

    /// <summary>Other threads' calls all complete: nothing was left reserved (they would wait forever).</summary>
    private static void AssertSendSideFree(IInPlace.IpcProxy client)
    {
        var others = Task.Run(() => Parallel.For(0, 200, i => Assert.Equal(2 * i + 1, client.Sum(i, i + 1, default))));
        Assert.True(others.Wait(TimeSpan.FromSeconds(60)), "the send side was left reserved");
    }

    [Fact]
    public void Unmanaged_arguments_are_written_in_place_until_an_argument_needs_a_serializer()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            var call = client.Client.StartCall(0x1234u);
            try
            {
                call.WriteUnmanaged(1);
                Assert.True(call.Reserved && call.Request.IsInPlace, "an unmanaged argument goes straight into the ring");
                call.WriteUnmanaged(2L);
                Assert.True(call.Request.IsInPlace);
                call.WriteMessagePack("a string");
                Assert.False(call.Reserved, "user code never runs with the send side reserved");
                Assert.False(call.Request.IsInPlace);
                Assert.Equal(4 + 8 + 9, call.Request.PayloadLength); // what was written in place moved along
            }
            finally
            {
                client.Client.EndCall(call);
            }
            Assert.Equal(3, client.Sum(1, 2, default));
        }
    }

    [Fact]
    public void A_call_ended_before_its_send_publishes_nothing_and_frees_the_ring()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            // Both arguments are written in place, then Invoke refuses the cancelled token before sending.
            Assert.ThrowsAny<OperationCanceledException>(() => client.Sum(1, 2, cancelled.Token));
            // An argument written in place, then a formatter that throws.
            var ex = Assert.ThrowsAny<Exception>(() => client.Mixed(1, new Hooked(1, () => throw new InvalidOperationException("no"))));
            Assert.Contains("no", ex.ToString());
            Assert.Equal(42, client.Twice(new Hooked(21)));
            AssertSendSideFree(client);
            Assert.Equal(1, server.ConnectionCount);
        }
    }

    [Fact]
    public void Requests_larger_than_the_lent_space_arrive_whole()
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

    [Fact]
    public async Task Sync_callers_never_hold_the_reader_role_through_a_send_that_can_wait()
    {
        // Small rings, large requests and answers from one caller in a loop and ten more at a time: a
        // caller that took the reader role and then waited for ring space would leave the answers that
        // the server is blocked on unread, and everyone would wait forever.
        var (server, client) = Start(ringSize: 16 * 1024);
        using (server)
        using (client)
        {
            var payload = new byte[6_000];
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

    [Fact]
    public unsafe void A_server_that_corrupts_the_ring_while_a_call_reserves_it_closes_the_client()
    {
        // A hostile server: it completes the handshake by hand, never reads a request, and then claims in
        // its consumer position to have read more than was ever written.
        const int ringSize = 16 * 1024;
        string endpoint = TestEnvironment.NewEndpoint();
        using var listener = SharedMemoryListener.Bind(endpoint, new IpcServerOptions { SharedMemoryRingSize = ringSize });
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
        using var client = IInPlace.Connect(new IpcClientOptions { Endpoint = endpoint });
        Assert.True(acceptor.Join(TimeSpan.FromSeconds(30)));
        using SharedMemoryChannel server = accepted!;
        byte* ring = server.Segment + SharedMemoryLayout.RingOffset(ringSize, 0);

        // 13 KB of request the server never reads: the client's cached free space runs low (under a record's worth).
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

        Exception? sumFailure = null;
        var sum = new Thread(() =>
        {
            try
            {
                client.Sum(1, 2, default);
            }
            catch (Exception ex)
            {
                sumFailure = ex;
            }
        });
        sum.Start();
        Assert.True(sum.Join(TimeSpan.FromSeconds(30)), "the call that reserved the corrupted ring failed instead of waiting forever");
        Assert.IsType<IpcDisconnectedException>(sumFailure);
        Assert.Contains("broke the protocol", sumFailure.Message);
        Assert.False(client.Client.IsConnected);
        Assert.True(unanswered.Join(TimeSpan.FromSeconds(30)), "the unanswered call failed instead of waiting forever");
        Assert.IsType<IpcDisconnectedException>(unansweredFailure);
        Assert.NotEqual(0, handshakeRecord);
    }

    [Fact]
    public async Task A_serializer_may_call_the_same_client_from_this_thread_or_another()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            int nested = 0, fromAnotherThread = 0;
            // The first argument is written in place; the reservation is given up before the formatter runs,
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
