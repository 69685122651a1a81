using System.Net.Sockets;
using IpcGen.Protocol;
using IpcGen.Transports;

namespace IpcGen.Tests.Infrastructure;

/// <summary>
/// A client that sends whatever bytes a test gives it, past every check a generated client makes: a raw
/// socket, or a transport's own channel used below the frame level (FIFOs carry bytes as they are;
/// message queues cut them into messages as they would a frame).
/// </summary>
public abstract class RawPeer : IDisposable
{
    /// <summary>
    /// The transports hostile-input tests run on: every one. A transport without a raw channel of its own
    /// gets the socket peer (right for the Unix socket and for a transport whose handshake runs over a
    /// Unix control socket).
    /// </summary>
    public static TheoryData<IpcTransport> Transports => TestTransports.All;

    public static RawPeer Connect(InProcessServer server) => server.Transport switch
    {
        IpcTransport.SharedMemory => new ChannelPeer(TransportFactory.ConnectAsync(IpcTransport.SharedMemory, server.Endpoint, new IpcClientOptions(), CancellationToken.None).AsTask().GetAwaiter().GetResult()),
        IpcTransport.Pipe => new ChannelPeer(IpcGen.Transports.Pipe.FifoConnector.ConnectAsync(server.Endpoint, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask().GetAwaiter().GetResult()),
        IpcTransport.MessageQueue or IpcTransport.SystemVMessageQueue => new ChannelPeer(ConnectChannel(server.Transport, server.Endpoint)),
        _ => new SocketPeer(server.Server.Endpoint), // the Unix socket, or a transport's Unix control socket
    };

    /// <summary>A transport's own client channel, connected below the handshake, for a test to drive by hand.</summary>
    internal static FrameChannel ConnectChannel(IpcTransport transport, string endpoint) => transport switch
    {
        IpcTransport.MessageQueue => IpcGen.Transports.MessageQueue.MqConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask().GetAwaiter().GetResult(),
        IpcTransport.SystemVMessageQueue => IpcGen.Transports.SystemV.SysVConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None).AsTask().GetAwaiter().GetResult(),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "No raw channel for this transport."),
    };

    public abstract void Send(ReadOnlySpan<byte> bytes);

    /// <summary>Closes the sending direction: the server sees end of input.</summary>
    public abstract void ShutdownSend();

    /// <summary>Reads until the server closes the connection; returns the bytes it sent first.</summary>
    public abstract byte[] ReadUntilClosed();

    public abstract void Dispose();

    private sealed class SocketPeer : RawPeer
    {
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        public SocketPeer(string path)
        {
            _socket.Connect(new UnixDomainSocketEndPoint(path));
            _socket.ReceiveTimeout = 10_000;
        }

        public override void Send(ReadOnlySpan<byte> bytes) => _socket.Send(bytes);

        public override void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

        public override byte[] ReadUntilClosed()
        {
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                int read;
                try
                {
                    read = _socket.Receive(buffer);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
                {
                    break;
                }
                if (read == 0)
                {
                    break;
                }
                received.AddRange(buffer.AsSpan(0, read).ToArray());
            }
            return received.ToArray();
        }

        public override void Dispose() => _socket.Dispose();
    }

    /// <summary>
    /// A transport's own client channel, fed raw bytes: it adds no framing of its own above the mechanism
    /// (a message queue channel puts each Send in one message, or in fragments when it is larger).
    /// </summary>
    private sealed class ChannelPeer : RawPeer
    {
        private readonly FrameChannel _channel;

        public ChannelPeer(FrameChannel channel) => _channel = channel;

        public override void Send(ReadOnlySpan<byte> bytes) => _channel.Send(bytes);

        public override void ShutdownSend() => ((IpcGen.Transports.Pipe.IRawSendShutdown)_channel).ShutdownSend();

        public override byte[] ReadUntilClosed()
        {
            var received = new List<byte>();
            _channel.SetReceiveTimeout(TimeSpan.FromSeconds(10));
            try
            {
                var header = new byte[FrameHeader.Size];
                while (_channel.TryReceive(1 << 20, out FrameHeader frame, out ReadOnlySpan<byte> payload))
                {
                    frame.Write(header);
                    received.AddRange(header);
                    received.AddRange(payload.ToArray());
                }
            }
            catch (IpcException)
            {
                // The server cut the stream mid-frame: closed all the same.
            }
            return received.ToArray();
        }

        public override void Dispose() => _channel.Dispose();
    }
}
