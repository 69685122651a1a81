using System.Net.Sockets;

namespace IpcGen.Transports.UnixSocket;

/// <summary>A connected <c>AF_UNIX</c> stream socket carrying frames.</summary>
internal sealed class UnixSocketChannel : StreamFrameChannel
{
    private readonly Socket _socket;
    private readonly PeerCredentials _peer;
    private int _disposed;

    public UnixSocketChannel(Socket socket)
    {
        _socket = socket;
        _peer = ReadPeerCredentials(socket);
    }

    public override PeerCredentials Peer => _peer;

    /// <summary>Reads <c>SO_PEERCRED</c>: the pid, uid and gid of the peer at connect time.</summary>
    internal static PeerCredentials ReadPeerCredentials(Socket socket)
    {
        const int SOL_SOCKET = 1;
        const int SO_PEERCRED = 17;
        Span<byte> ucred = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        int length = socket.GetRawSocketOption(SOL_SOCKET, SO_PEERCRED, ucred);
        if (length < 12)
        {
            throw new IpcException("SO_PEERCRED returned a short ucred.");
        }
        return new PeerCredentials(
            BitConverter.ToInt32(ucred),
            BitConverter.ToUInt32(ucred.Slice(4)),
            BitConverter.ToUInt32(ucred.Slice(8)));
    }

    protected override int ReceiveCore(Span<byte> destination)
    {
        try
        {
            return _socket.Receive(destination, SocketFlags.None);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted or SocketError.Interrupted or SocketError.OperationAborted)
        {
            return 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            // SO_RCVTIMEO ran out: the transport-neutral signal (see FrameChannel.SetReceiveTimeout).
            throw new TimeoutException("no data within the receive timeout", ex);
        }
    }

    protected override void SendCore(ReadOnlySpan<byte> frame)
    {
        while (!frame.IsEmpty)
        {
            int sent = _socket.Send(frame, SocketFlags.None);
            frame = frame.Slice(sent);
        }
    }

    public override void SetReceiveTimeout(TimeSpan? timeout)
        => _socket.ReceiveTimeout = timeout is null ? 0 : (int)Math.Max(1, timeout.Value.TotalMilliseconds);

    public override void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to unblock.
        }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Shutdown();
            // The receive buffer is left to the GC: the receiving thread may still be reading it.
            _socket.Dispose();
        }
    }
}
