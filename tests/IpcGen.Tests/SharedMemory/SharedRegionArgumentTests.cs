using System.Runtime.InteropServices;
using IpcGen.Protocol;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.SharedMemory;

[SharedStruct]
[StructLayout(LayoutKind.Sequential)]
public struct RegionPair
{
    public long Input;
    public long Output;
}

[IpcService(Name = "Tests.IRegionService")]
public partial interface IRegionService
{
    /// <summary>Output = 2 × Input, in the caller's region; returns what it read.</summary>
    long Double(SharedRegion<RegionPair> pair);

    /// <summary>Adds every element of <paramref name="values"/> into the first element of <paramref name="sum"/>.</summary>
    Task<int> SumAsync(SharedRegion<long> values, SharedRegion<long> sum);
}

public sealed class RegionService : IRegionService
{
    public SharedRegion<RegionPair>? LastPair { get; private set; }

    public long Double(SharedRegion<RegionPair> pair)
    {
        LastPair = pair;
        using (pair.Lock())
        {
            long input = pair.Value.Input;
            pair.Value.Output = input * 2;
            return input;
        }
    }

    public async Task<int> SumAsync(SharedRegion<long> values, SharedRegion<long> sum)
    {
        await Task.Yield(); // the regions must outlive the synchronous part of the call
        long total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            total += Volatile.Read(ref values[i]);
        }
        Volatile.Write(ref sum.Value, total);
        return values.Length;
    }
}

/// <summary>
/// A <see cref="SharedRegion{T}"/> passed as an argument: over a Unix socket its open file travels with
/// the request (SCM_RIGHTS), elsewhere its name does; either way the service works on the caller's memory
/// for the length of the call.
/// </summary>
public sealed class SharedRegionArgumentTests
{
    private static string UniqueName() => "arg-" + Guid.NewGuid().ToString("N");

    private static (IpcServer Server, IRegionService.IpcProxy Client, RegionService Service, LogCapture Log) Start(IpcTransport transport)
        => Start(transport, out _);

    private static (IpcServer Server, IRegionService.IpcProxy Client, RegionService Service, LogCapture Log) Start(IpcTransport transport, out string endpoint)
    {
        var service = new RegionService();
        var log = new LogCapture();
        endpoint = TestEnvironment.NewEndpoint("regions");
        IpcServer server = IRegionService.Serve(service, new IpcServerOptions { Endpoint = endpoint, Transport = transport, Logger = log });
        try
        {
            return (server, IRegionService.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport }), service, log);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void The_service_works_on_the_callers_memory_and_lets_go_of_it_after_the_call(IpcTransport transport)
    {
        var (server, client, service, _) = Start(transport);
        using (server)
        using (client)
        using (var pair = SharedRegion<RegionPair>.Create(UniqueName()))
        {
            using (pair.Lock())
            {
                pair.Value.Input = 21;
            }

            Assert.Equal(21, client.Double(pair));

            using (pair.Lock())
            {
                Assert.Equal(42, pair.Value.Output);
            }
            // The server's mapping belonged to the call: it is unmapped once the method returned.
            Assert.NotNull(service.LastPair);
            Assert.Throws<ObjectDisposedException>(() => service.LastPair!.Value.Input);
        }
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Several_regions_in_one_async_call_stay_mapped_until_it_completes(IpcTransport transport)
    {
        var (server, client, _, _) = Start(transport);
        using (server)
        using (client)
        using (var values = SharedRegion<long>.Create(UniqueName(), length: 1000))
        using (var sum = SharedRegion<long>.Create(UniqueName()))
        {
            for (int i = 0; i < values.Length; i++)
            {
                Volatile.Write(ref values[i], i);
            }

            for (int round = 0; round < 3; round++) // pooled calls: regions of one call never leak into the next
            {
                Assert.Equal(1000, await client.SumAsync(values, sum));
                Assert.Equal(999L * 1000 / 2, Volatile.Read(ref sum.Value));
                Volatile.Write(ref sum.Value, 0);
            }
        }
    }

    [Fact]
    public void Over_a_unix_socket_the_descriptor_travels_so_the_name_is_not_needed()
    {
        var (server, client, _, _) = Start(IpcTransport.UnixSocket);
        using (server)
        using (client)
        using (var pair = SharedRegion<RegionPair>.Create(UniqueName()))
        {
            File.Delete(pair.Path); // nobody can open it by name any more
            Volatile.Write(ref pair.Value.Input, 5);

            Assert.Equal(5, client.Double(pair));
            Assert.Equal(10, Volatile.Read(ref pair.Value.Output));
        }
    }

    [Theory]
    [InlineData(IpcTransport.Pipe)]
    [InlineData(IpcTransport.SharedMemory)]
    public void Elsewhere_the_name_travels_and_a_missing_region_fails_the_call_not_the_connection(IpcTransport transport)
    {
        var (server, client, _, _) = Start(transport);
        using (server)
        using (client)
        using (var pair = SharedRegion<RegionPair>.Create(UniqueName()))
        using (var kept = SharedRegion<RegionPair>.Create(UniqueName()))
        {
            File.Delete(pair.Path);

            var ex = Assert.Throws<IpcRemoteException>(() => client.Double(pair));
            Assert.Contains("No shared region", ex.Message);

            Volatile.Write(ref kept.Value.Input, 3);
            Assert.Equal(3, client.Double(kept)); // the connection is still good
        }
    }

    [Theory]
    [InlineData(IpcTransport.UnixSocket, true)]
    [InlineData(IpcTransport.Pipe, false)]
    public void Another_process_maps_the_region_it_is_passed(IpcTransport transport, bool nameless)
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using RemoteHost host = RemoteHost.Start("serve", endpoint, transport);
        using var client = IpcGen.Tests.Contracts.ITestService.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport });
        using var values = SharedRegion<long>.Create(UniqueName(), length: 4096);
        using var into = SharedRegion<long>.Create(UniqueName());
        for (int i = 0; i < values.Length; i++)
        {
            Volatile.Write(ref values[i], i + 1);
        }
        if (nameless)
        {
            // Only the descriptors can get these regions to the other process now.
            File.Delete(values.Path);
            File.Delete(into.Path);
        }

        long expected = 4096L * 4097 / 2;
        Assert.Equal(expected, client.SumRegion(values, into));
        Assert.Equal(expected, Volatile.Read(ref into.Value)); // written by the other process into our memory
    }

    [Fact]
    public void A_request_announcing_descriptors_it_did_not_send_closes_the_connection()
    {
        var (server, client, _, log) = Start(IpcTransport.UnixSocket);
        using (server)
        using (client)
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(server.Endpoint));
            socket.ReceiveTimeout = 10_000;
            var writer = new FrameWriter();
            writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
            new Handshake(IRegionService.IpcContractFingerprint, 1 << 20, IRegionService.IpcContractName).Write(writer);
            socket.Send(writer.Complete());

            var request = new byte[FrameHeader.Size + 8];
            new FrameHeader(8, FrameKind.Request, 1 << FrameHeader.DescriptorCountShift, 1, 1).Write(request);
            socket.Send(request);

            var buffer = new byte[4096];
            while (socket.Receive(buffer) > 0)
            {
                // the handshake answer, then end of stream
            }
            log.WaitFor(7, "announced more file descriptors than arrived");

            using var pair = SharedRegion<RegionPair>.Create(UniqueName());
            Volatile.Write(ref pair.Value.Input, 4);
            Assert.Equal(4, client.Double(pair)); // other connections go on
        }
    }

    [Fact]
    public void A_descriptor_announced_over_a_transport_that_cannot_carry_one_closes_the_connection()
    {
        var (server, client, _, log) = Start(IpcTransport.Pipe, out string endpoint);
        using (server)
        using (client)
        {
            FrameChannelPeer.SendRawAfterHandshake(endpoint, IRegionService.IpcContractFingerprint, IRegionService.IpcContractName,
                FrameKind.Request, (byte)(1 << FrameHeader.DescriptorCountShift));
            log.WaitFor(7, "which this transport cannot carry");

            using var pair = SharedRegion<RegionPair>.Create(UniqueName());
            Volatile.Write(ref pair.Value.Input, 6);
            Assert.Equal(6, client.Double(pair));
        }
    }
}

/// <summary>Drives a FIFO connection by hand: a handshake, then one frame with the given flags.</summary>
internal static class FrameChannelPeer
{
    public static void SendRawAfterHandshake(string endpoint, ulong fingerprint, string contractName, FrameKind kind, byte flags)
    {
        using var channel = IpcGen.Transports.Pipe.FifoConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
        new Handshake(fingerprint, 1 << 20, contractName).Write(writer);
        channel.Send(writer.Complete());
        var request = new byte[FrameHeader.Size + 8];
        new FrameHeader(8, kind, flags, 1, 1).Write(request);
        channel.Send(request);
        channel.SetReceiveTimeout(TimeSpan.FromSeconds(10));
        while (channel.TryReceive(1 << 20, out _, out _))
        {
            // the handshake answer, then end of stream
        }
    }
}
