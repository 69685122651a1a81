using IpcGen.Tests.Infrastructure;
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

    byte[] Echo(byte[] data);
}

public sealed class InPlaceService : IInPlace
{
    public int Twice(Hooked value) => 2 * value.Value;

    public byte[] Echo(byte[] data) => data;
}

/// <summary>
/// Requests written straight into the ring (the send side reserved from the start of a call to its
/// send): a failure before the send publishes nothing, a request that outgrows the lent space still
/// arrives whole, and a call made from inside another call's serialization is refused, not interleaved.
/// </summary>
public sealed class InPlaceSendTests
{
    private static (IpcServer Server, IInPlace.IpcProxy Client) Start(int ringSize = 64 * 1024)
    {
        string endpoint = TestEnvironment.NewEndpoint("inplace");
        IpcServer server = IInPlace.Serve(new InPlaceService(), new IpcServerOptions { Endpoint = endpoint, SharedMemoryRingSize = ringSize });
        return (server, IInPlace.Connect(new IpcClientOptions { Endpoint = endpoint }));
    }

    [Fact]
    public void An_argument_that_fails_to_serialize_publishes_nothing_and_frees_the_ring()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            var ex = Assert.ThrowsAny<Exception>(() => client.Twice(new Hooked(1, () => throw new InvalidOperationException("no"))));
            Assert.Contains("no", ex.ToString());
            // Nothing half-written reached the server, and the next callers are not locked out.
            Assert.Equal(42, client.Twice(new Hooked(21)));
            Parallel.For(0, 200, i => Assert.Equal(2 * i, client.Twice(new Hooked(i))));
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
    public void A_call_made_while_writing_another_calls_arguments_is_refused()
    {
        var (server, client) = Start();
        using (server)
        using (client)
        {
            int nested = 0;
            var ex = Assert.ThrowsAny<Exception>(() => client.Twice(new Hooked(1, () => nested = client.Twice(new Hooked(2)))));
            Assert.Contains("while another call's arguments were being written", ex.ToString());
            Assert.Equal(0, nested);
            Assert.Equal(10, client.Twice(new Hooked(5)));
        }
    }
}
