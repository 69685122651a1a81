using System.Net.Sockets;
using System.Runtime.InteropServices;
using IpcGen.Protocol;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.UnixSocket;

/// <summary>
/// A connected <c>AF_UNIX</c> stream socket carrying frames, and file descriptors with them
/// (<c>SCM_RIGHTS</c>). Descriptors are attached to the first byte of their frame, so they arrive with
/// the read that holds that byte — never after the frame's header has been parsed; they wait in a
/// small FIFO until the frame that announced them (header flags) takes them.
/// </summary>
internal sealed class UnixSocketChannel : StreamFrameChannel
{
    private const int MaxQueuedDescriptors = 16;
    private const int EINTR = 4;
    private const int EAGAIN = 11;

    private readonly Socket _socket;
    private readonly PeerCredentials _peer;
    private readonly int[] _descriptors = new int[MaxQueuedDescriptors]; // received, not yet taken (FIFO)
    private int _descriptorHead;
    private int _descriptorCount;
    private bool _descriptorsClosed;
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

    public override bool CanPassDescriptors => true;

    protected override int ReceiveCore(Span<byte> destination)
    {
        Span<int> arrived = stackalloc int[8];
        while (true)
        {
            // Hold a reference on the socket across the call: a concurrent Dispose must not let its number be
            // reused by another descriptor under a blocked recvmsg.
            SafeSocketHandle handle = _socket.SafeHandle;
            bool added = false;
            nint received;
            int count;
            bool truncated;
            try
            {
                handle.DangerousAddRef(ref added);
                received = Interop.Socket.ReceiveWithDescriptors(handle.DangerousGetHandle(), destination, arrived, out count, out truncated);
            }
            catch (ObjectDisposedException)
            {
                return 0;
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
            if (count > 0 || truncated)
            {
                Queue(arrived.Slice(0, count), truncated);
            }
            if (received >= 0)
            {
                return (int)received;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }
            if (errno == EAGAIN)
            {
                // SO_RCVTIMEO ran out: the transport-neutral signal (see FrameChannel.SetReceiveTimeout).
                throw new TimeoutException("no data within the receive timeout");
            }
            return 0; // reset, shut down or closed: the peer is gone
        }
    }

    private void Queue(ReadOnlySpan<int> arrived, bool truncated)
    {
        lock (_descriptors)
        {
            foreach (int fd in arrived)
            {
                if (_descriptorsClosed || _descriptorCount == MaxQueuedDescriptors)
                {
                    Interop.Pipe.Close(fd);
                    truncated = true;
                    continue;
                }
                _descriptors[(_descriptorHead + _descriptorCount++) % MaxQueuedDescriptors] = fd;
            }
        }
        if (truncated && !_descriptorsClosed)
        {
            throw ThrowHelper.Protocol($"the peer sent more file descriptors than its frames announce (at most {MaxQueuedDescriptors} may wait)");
        }
    }

    public override SafeFileHandle TakeReceivedDescriptor()
    {
        lock (_descriptors)
        {
            if (_descriptorCount == 0)
            {
                throw ThrowHelper.Protocol("a frame announced more file descriptors than arrived with it");
            }
            int fd = _descriptors[_descriptorHead];
            _descriptorHead = (_descriptorHead + 1) % MaxQueuedDescriptors;
            _descriptorCount--;
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    protected override void SendCore(ReadOnlySpan<byte> frame, ReadOnlySpan<SafeHandle> descriptors)
    {
        SafeSocketHandle handle = _socket.SafeHandle;
        bool added = false;
        int sent;
        try
        {
            handle.DangerousAddRef(ref added);
            sent = Interop.Socket.SendWithDescriptors(handle.DangerousGetHandle(), frame, descriptors);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
        SendCore(frame.Slice(sent)); // the rest of a large frame, without descriptors
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
            lock (_descriptors)
            {
                _descriptorsClosed = true;
                for (; _descriptorCount > 0; _descriptorCount--)
                {
                    Interop.Pipe.Close(_descriptors[_descriptorHead]);
                    _descriptorHead = (_descriptorHead + 1) % MaxQueuedDescriptors;
                }
            }
        }
    }
}
