using System.Buffers.Binary;
using IpcGen.Protocol;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

/// <summary>
/// A peer that sends bytes no generated client would. Each case must close that one connection with a
/// logged reason, while the server keeps serving a well-behaved client connected all along. The
/// misbehaving client is a <see cref="RawPeer"/>: a raw socket, or a transport's channel fed raw bytes.
/// </summary>
public sealed class HostileInputTests
{
    private const int ProtocolViolation = 7;

    private static byte[] Frame(FrameKind kind, uint methodId, uint callId, ReadOnlySpan<byte> payload, uint? lengthOverride = null, byte kindOverride = 0)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader((uint)payload.Length, kind, 0, methodId, callId).Write(frame);
        if (lengthOverride is { } length)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(frame, length);
        }
        if (kindOverride != 0)
        {
            frame[4] = kindOverride;
        }
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    private static byte[] HandshakeFrame(ulong fingerprint = ITestService.IpcContractFingerprint, string name = ITestService.IpcContractName)
    {
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
        new Handshake(fingerprint, 1 << 20, name).Write(writer);
        return writer.Complete().ToArray();
    }

    private static void AssertClosedAndServerHealthy(InProcessServer server, ITestService.IpcProxy bystander, RawPeer socket, string expectedReason, bool checkNewcomer = true)
    {
        socket.ReadUntilClosed();
        server.Log.WaitFor(ProtocolViolation, expectedReason);
        Assert.Equal(5, bystander.Add(2, 3));
        if (!checkNewcomer)
        {
            return;
        }
        using var newcomer = server.Connect();
        Assert.Equal(7, newcomer.Add(3, 4));
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void Garbage_instead_of_a_handshake_closes_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        var garbage = new byte[64];
        new Random(42).NextBytes(garbage);
        garbage[0] = 8; // a small length, so the unknown kind (200) is what gives it away
        garbage[1] = garbage[2] = garbage[3] = 0;
        garbage[4] = 200;
        socket.Send(garbage);
        AssertClosedAndServerHealthy(server, bystander, socket, "unknown frame kind 200");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void An_unknown_frame_kind_after_the_handshake_closes_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        socket.Send(Frame(FrameKind.Request, 0, 1, ReadOnlySpan<byte>.Empty, kindOverride: 99));
        AssertClosedAndServerHealthy(server, bystander, socket, "unknown frame kind 99");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void A_frame_longer_than_MaxMessageSize_closes_the_connection_without_buffering_it(IpcTransport transport)
    {
        using var server = new InProcessServer(transport, o => o.MaxMessageSize = 64 * 1024);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        socket.Send(Frame(FrameKind.Request, 1, 1, ReadOnlySpan<byte>.Empty, lengthOverride: 0x7FFF_FFF0));
        AssertClosedAndServerHealthy(server, bystander, socket, "exceeds MaxMessageSize");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void A_truncated_frame_closes_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        byte[] frame = Frame(FrameKind.Request, 1, 1, new byte[100]);
        socket.Send(frame.AsSpan(0, 40));
        socket.ShutdownSend();
        AssertClosedAndServerHealthy(server, bystander, socket, "in the middle of a frame");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void An_unknown_method_id_closes_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        socket.Send(Frame(FrameKind.Request, 0xDEADBEEF, 1, new byte[8]));
        AssertClosedAndServerHealthy(server, bystander, socket, "unknown method id 0xDEADBEEF");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void Arguments_that_do_not_decode_close_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        // Overload(int) wants 4 bytes; 3 is a truncated argument.
        socket.Send(Frame(FrameKind.Request, 7, 1, new byte[3]));
        AssertClosedAndServerHealthy(server, bystander, socket, "payload truncated");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void Trailing_bytes_after_the_arguments_close_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        socket.Send(Frame(FrameKind.Request, 7, 1, new byte[6]));
        AssertClosedAndServerHealthy(server, bystander, socket, "unexpected bytes after the last argument");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void A_MessagePack_argument_that_does_not_decode_closes_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        // Length(string) (id 9) wants a MessagePack string; send an array header claiming 2^31 items.
        socket.Send(Frame(FrameKind.Request, 9, 1, new byte[] { 0xDD, 0x7F, 0xFF, 0xFF, 0xFF }));
        AssertClosedAndServerHealthy(server, bystander, socket, "does not decode");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void A_response_frame_from_a_client_closes_the_connection(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame());
        socket.Send(Frame(FrameKind.Response, 0, 1, ReadOnlySpan<byte>.Empty));
        AssertClosedAndServerHealthy(server, bystander, socket, "unexpected Response frame");
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void A_wrong_fingerprint_is_refused_with_the_servers_identity(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        socket.Send(HandshakeFrame(fingerprint: 0x1234));
        byte[] answer = socket.ReadUntilClosed();

        var header = FrameHeader.Read(answer, 4096);
        Assert.Equal(FrameKind.HandshakeRefuse, header.Kind);
        var (reason, serverIdentity) = HandshakeRefusal.Read(answer.AsSpan(FrameHeader.Size, (int)header.PayloadLength));
        Assert.Equal(RefuseReason.ContractMismatch, reason);
        Assert.Equal(ITestService.IpcContractFingerprint, serverIdentity.Fingerprint);
        server.Log.WaitFor(6, "0x0000000000001234");
        Assert.Equal(5, bystander.Add(2, 3));
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void A_silent_peer_is_dropped_after_the_handshake_timeout(IpcTransport transport)
    {
        using var server = new InProcessServer(transport, o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(200));
        using var bystander = server.Connect();
        using RawPeer socket = RawPeer.Connect(server);
        // No newcomer here: with a 200 ms handshake limit, a newcomer on a loaded machine may itself be too
        // slow and be dropped by the very rule under test. The bystander shows the server is healthy.
        AssertClosedAndServerHealthy(server, bystander, socket, "no handshake within", checkNewcomer: false);
    }

    [Theory]
    [MemberData(nameof(RawPeer.Transports), MemberType = typeof(RawPeer))]
    public void Random_frames_never_take_the_server_down(IpcTransport transport)
    {
        using var server = new InProcessServer(transport, o => o.MaxMessageSize = 64 * 1024);
        using var bystander = server.Connect();
        var random = new Random(1234);
        for (int round = 0; round < 50; round++)
        {
            using RawPeer socket = RawPeer.Connect(server);
            socket.Send(HandshakeFrame());
            var payload = new byte[random.Next(0, 256)];
            random.NextBytes(payload);
            byte[] frame = Frame((FrameKind)random.Next(1, 12), (uint)random.Next(0, 40), (uint)random.Next(), payload);
            if (random.Next(4) == 0)
            {
                frame[random.Next(frame.Length)] ^= (byte)random.Next(1, 256);
            }
            socket.Send(frame);
            socket.ShutdownSend();
            socket.ReadUntilClosed();
        }
        Assert.Equal(5, bystander.Add(2, 3));
        Eventually.True(() => server.Server.ConnectionCount == 1, "every hostile connection closed");
    }
}
