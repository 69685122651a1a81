using System.Runtime.InteropServices;
using IpcGen.Protocol;
using IpcGen.Transports.Pipe;
using IpcGen.Transports.Queues;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// Frames over POSIX message queues, one connection's worth: it sends into the peer's queue and gets its
/// messages from a subclass (the client reads its own reply queue; the server is handed its connection's
/// messages from the shared request queue). Every message carries the <see cref="QueueMessage"/> envelope;
/// frames larger than one message travel in fragments. A receive blocks in the kernel's queue wait itself
/// (see the subclasses for how it is woken and how it learns of a dead peer); a send that finds the peer's
/// queue full polls it for room together with the peer process's pidfd and an eventfd that
/// <see cref="Shutdown"/> signals, so it never waits forever on a dead peer or past a shutdown.
/// </summary>
internal abstract unsafe class MqChannel : FrameChannel, IRawSendShutdown
{
    private readonly SafeFileHandle _send; // ref-counted: a send on another thread may race Dispose
    private readonly int _sendMessageSize;
    private readonly SafeFileHandle _peerPidfd;
    private readonly PeerCredentials _peer;
    private readonly FrameReassembler _reassembler = new();
    private readonly byte[] _sendBuffer; // used under the send lock only
    private volatile bool _shutdown;
    private bool _ended;
    private int _disposed;

    /// <summary>Takes ownership of <paramref name="sendMqd"/> and <paramref name="peerPidfd"/>.</summary>
    protected MqChannel(int sendMqd, int sendMessageSize, uint connection, SafeFileHandle peerPidfd, PeerCredentials peer)
    {
        _send = new SafeFileHandle(sendMqd, ownsHandle: true);
        _sendMessageSize = sendMessageSize;
        Connection = connection;
        _peerPidfd = peerPidfd;
        _peer = peer;
        _sendBuffer = GC.AllocateUninitializedArray<byte>(sendMessageSize, pinned: true);
        WakeFd = Interop.Pipe.EventFd(0, Interop.Pipe.EFD_CLOEXEC | Interop.Pipe.EFD_NONBLOCK);
        if (WakeFd < 0)
        {
            throw Interop.LastError("eventfd");
        }
    }

    public override PeerCredentials Peer => _peer;

    /// <summary>The connection id every message of this connection carries in its envelope.</summary>
    public uint Connection { get; }

    /// <summary>Signalled by <see cref="Shutdown"/>; subclasses poll it while they wait.</summary>
    protected int WakeFd { get; }

    /// <summary>The peer's pidfd as a raw descriptor for poll (valid until Dispose).</summary>
    protected int PeerPidfd => (int)_peerPidfd.DangerousGetHandle();

    /// <summary>Whether the peer process has exited (a zero-timeout poll of its pidfd).</summary>
    protected bool PeerHasExited() => Interop.Pidfd.HasExited(_peerPidfd);

    protected bool IsShutdown => _shutdown;

    /// <summary>True while a fragmented frame is partly received: its next piece is usually queued already.</summary>
    protected bool Reassembling => _reassembler.InProgress;

    /// <summary>Receive timeout in milliseconds, -1 for none (the handshake sets one).</summary>
    protected int ReceiveTimeoutMs { get; private set; } = -1;

    /// <summary>
    /// The next message for this connection, valid until the next call; false at end of stream (the peer
    /// exited, or the channel was shut down). Throws <see cref="TimeoutException"/> when the receive timeout passes.
    /// </summary>
    protected abstract bool NextMessage(out ReadOnlySpan<byte> message);

    public override bool TryReceive(int maxPayloadLength, out FrameHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        while (!_ended)
        {
            if (!NextMessage(out ReadOnlySpan<byte> message))
            {
                break;
            }
            if (!QueueMessage.TryReadHeader(message, out uint connection, out QueueMessageKind kind))
            {
                throw ThrowHelper.Protocol("malformed message-queue envelope");
            }
            if (connection != Connection)
            {
                throw ThrowHelper.Protocol($"a message for connection {connection} arrived on connection {Connection}");
            }
            if (kind == QueueMessageKind.Bye)
            {
                break;
            }
            if (_reassembler.TryAddFrame(kind, message.Slice(QueueMessage.HeaderSize), maxPayloadLength, out header, out payload))
            {
                return true;
            }
        }
        _ended = true;
        if (_reassembler.InProgress)
        {
            _reassembler.Dispose();
            throw ThrowHelper.Protocol("connection closed in the middle of a frame");
        }
        return false;
    }

    protected override void SendCore(ReadOnlySpan<byte> frame)
    {
        bool added = false;
        try
        {
            _send.DangerousAddRef(ref added);
            int mqd = (int)_send.DangerousGetHandle();
            var pieces = new FrameFragments(frame, _sendMessageSize - QueueMessage.HeaderSize);
            while (pieces.MoveNext())
            {
                FrameFragments piece = pieces;
                QueueMessage.WriteHeader(_sendBuffer, Connection, piece.Kind);
                piece.Body.CopyTo(_sendBuffer.AsSpan(QueueMessage.HeaderSize));
                fixed (byte* message = _sendBuffer)
                {
                    SendMessage(mqd, message, QueueMessage.HeaderSize + piece.Body.Length, QueueMessage.PriorityOf(frame, piece.Kind), wait: true);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            throw new IpcDisconnectedException("The connection is closed.");
        }
        finally
        {
            if (added)
            {
                _send.DangerousRelease();
            }
        }
    }

    /// <summary>Sends one message; with <paramref name="wait"/>, waits for room while the peer lives.</summary>
    private bool SendMessage(int mqd, byte* message, int length, uint priority, bool wait)
    {
        {
            while (true)
            {
                if (_shutdown && wait)
                {
                    throw new IpcDisconnectedException("The connection is closed.");
                }
                if (Interop.Mqueue.Send(mqd, message, (nuint)length, priority) == 0)
                {
                    return true;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Mqueue.EINTR)
                {
                    continue;
                }
                if (errno != Interop.Mqueue.EAGAIN)
                {
                    throw new IOException($"mq_send failed: errno {errno}");
                }
                if (!wait)
                {
                    return false;
                }
                WaitWritable(mqd);
            }
        }
    }

    /// <summary>The peer's queue is full: wait for room, but never on a dead peer or past a shutdown.</summary>
    private void WaitWritable(int mqd)
    {
        Interop.Pipe.PollFd* fds = stackalloc Interop.Pipe.PollFd[3];
        fds[0] = new Interop.Pipe.PollFd { Fd = mqd, Events = Interop.Pipe.POLLOUT };
        fds[1] = new Interop.Pipe.PollFd { Fd = PeerPidfd, Events = Interop.Pipe.POLLIN };
        fds[2] = new Interop.Pipe.PollFd { Fd = WakeFd, Events = Interop.Pipe.POLLIN };
        while (Interop.Pipe.Poll(fds, 3, -1) < 0)
        {
            if (Marshal.GetLastPInvokeError() != Interop.Pipe.EINTR)
            {
                throw Interop.LastError("poll");
            }
        }
        if (fds[1].Revents != 0 && fds[0].Revents == 0)
        {
            throw new IOException("the peer process exited with its queue full");
        }
    }

    public override void SetReceiveTimeout(TimeSpan? timeout)
        => ReceiveTimeoutMs = timeout is null ? -1 : (int)Math.Max(1, timeout.Value.TotalMilliseconds);

    /// <summary>Tells the peer this side is done (a raw peer's half-close); the peer sees end of stream.</summary>
    public void ShutdownSend() => SendBye(wait: true);

    private void SendBye(bool wait)
    {
        bool added = false;
        try
        {
            _send.DangerousAddRef(ref added);
            // Its own buffer: a frame may be on its way on another thread (Dispose does not take the send lock).
            byte* bye = stackalloc byte[QueueMessage.HeaderSize];
            QueueMessage.WriteHeader(new Span<byte>(bye, QueueMessage.HeaderSize), Connection, QueueMessageKind.Bye);
            // Priority 0, as low as anything: it arrives after everything this side sent before it.
            SendMessage((int)_send.DangerousGetHandle(), bye, QueueMessage.HeaderSize, 0, wait);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException or IpcException)
        {
            // Best effort: a peer that is gone or not reading learns of the end from our pidfd instead.
        }
        finally
        {
            if (added)
            {
                _send.DangerousRelease();
            }
        }
    }

    /// <summary>Makes a receive blocked in the kernel's message-queue wait return (it then sees the shutdown).</summary>
    protected abstract void WakeReceiver();

    public override void Shutdown()
    {
        _shutdown = true;
        if (Volatile.Read(ref _disposed) == 0)
        {
            ulong one = 1;
            Interop.Pipe.Write(WakeFd, (byte*)&one, sizeof(ulong));
            WakeReceiver();
        }
    }

    /// <summary>Releases what the subclass holds; called once, after the receiving thread is done.</summary>
    protected abstract void DisposeCore();

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _shutdown = true;
        ulong one = 1;
        Interop.Pipe.Write(WakeFd, (byte*)&one, sizeof(ulong));
        // Without blocking: the peer reads end of stream at once instead of waiting for our pidfd.
        SendBye(wait: false);
        DisposeCore();
        _send.Dispose();
        _peerPidfd.Dispose();
        _reassembler.Dispose();
        Interop.Pipe.Close(WakeFd);
    }
}
