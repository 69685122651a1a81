using System.Buffers;
using System.Runtime.InteropServices;
using IpcGen.Protocol;
using IpcGen.Transports.Pipe;
using IpcGen.Transports.Queues;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.SystemV;

/// <summary>
/// One connection over the server's System V queue: it reads only its own message type and writes only its
/// peer's (client: reads <c>2k + 1</c>, writes <c>2k</c>; server: the other way round), so each side reads
/// its messages straight from the kernel with no demultiplexing thread between. Frames travel in the shared
/// message-queue envelope, cut into pieces when larger than one message.
/// <para>
/// The queue's bytes are shared by requests and replies of every client. Every send is <c>IPC_NOWAIT</c>:
/// on a full queue the server side first moves its own connection's waiting requests into a bounded
/// in-process backlog (which its receive consumes first) — a server thread that waits for room while the
/// queue is full of its own client's pipelined requests would otherwise wait forever — and then sleeps a
/// millisecond and retries, for at most the stall limit, after which it gives the connection up.
/// </para>
/// <para>
/// <c>msgrcv</c> cannot be polled, so wake-ups are messages: <see cref="Shutdown"/> sends a Bye to its own
/// type, marked as ours by its connection field; the <see cref="PeerWatcher"/> does the same when a client
/// process exits, and removes the whole queue when the server process exits (the owner is gone; every
/// reader then wakes with <c>EIDRM</c>).
/// </para>
/// </summary>
internal sealed unsafe class SysVChannel : FrameChannel, IRawSendShutdown
{
    private const int MaxBacklogBytes = 1 << 20;

    private readonly SysVQueue _queue;
    private readonly long _readType;
    private readonly long _writeType;
    private readonly uint _connection;   // low 32 bits of k, in every envelope of this connection
    private readonly uint _selfWake;     // the connection field of the Byes this process sends to itself
    private readonly bool _isServer;
    private readonly PeerCredentials _peer;
    private readonly PeerWatcher _watcher;
    private readonly bool _ownsWatcher;
    private readonly Watch _watch;
    private readonly long _sendStallLimitMs;
    private readonly Action? _onDispose;

    // Pinned once: msgsnd/msgrcv take the address of the mtype, and a pinned array needs no freeing, so a
    // send racing Dispose on another thread can never touch freed memory.
    private readonly byte[] _sendBuffer;
    private readonly byte[] _receiveBuffer;
    private readonly FrameReassembler _reassembler = new();

    private readonly object _backlogLock = new();
    private readonly Queue<(byte[] Buffer, int Length)> _backlog = new();
    private int _backlogBytes;
    private byte[]? _lent; // the backlog buffer holding the message the last receive returned
    private volatile bool _receiverInKernel;

    private readonly object _stateLock = new();
    private bool _lingering;
    private bool _deathWakeSent;
    private bool _wakePending;

    private int _receiveTimeoutMs = -1;
    private volatile bool _shutdown;
    private volatile bool _peerGone;
    private volatile bool _peerFinal; // the peer sent its final Bye: it reads nothing more either
    private int _disposed;

    /// <summary>
    /// Takes ownership of <paramref name="peerPidfd"/> (handed to <paramref name="watcher"/>), and of the
    /// watcher itself when <paramref name="ownsWatcher"/>.
    /// </summary>
    public SysVChannel(SysVQueue queue, long connection, bool isServer, PeerCredentials peer, SafeFileHandle peerPidfd,
        PeerWatcher watcher, bool ownsWatcher, TimeSpan sendStallLimit, Action? onDispose = null)
    {
        _queue = queue;
        _isServer = isServer;
        _readType = isServer ? SysVEndpoint.RequestType(connection) : SysVEndpoint.ReplyType(connection);
        _writeType = isServer ? SysVEndpoint.ReplyType(connection) : SysVEndpoint.RequestType(connection);
        _connection = (uint)connection;
        _selfWake = ~_connection;
        _peer = peer;
        _watcher = watcher;
        _ownsWatcher = ownsWatcher;
        _sendStallLimitMs = (long)sendStallLimit.TotalMilliseconds;
        _onDispose = onDispose;
        _sendBuffer = GC.AllocateUninitializedArray<byte>(Interop.SysVMsg.TypeSize + queue.MessageSize, pinned: true);
        _receiveBuffer = GC.AllocateUninitializedArray<byte>(Interop.SysVMsg.TypeSize + queue.MessageSize, pinned: true);
        _watch = new Watch(this, peerPidfd);
        watcher.Add(_watch);
    }

    public override PeerCredentials Peer => _peer;

    /// <summary>The queue and the message type this side sends (tests that play a hostile peer).</summary>
    internal (int QueueId, long WriteType, uint Connection) Route => (_queue.Id, _writeType, _connection);

    public override bool TryReceive(int maxPayloadLength, out FrameHeader header, out ReadOnlySpan<byte> payload)
    {
        if (_lent is { } lent)
        {
            _lent = null;
            ArrayPool<byte>.Shared.Return(lent);
        }
        while (true)
        {
            if (!NextMessage(out ReadOnlySpan<byte> message))
            {
                if (_reassembler.InProgress && !_shutdown && !_peerGone)
                {
                    throw ThrowHelper.Protocol("connection closed in the middle of a frame");
                }
                header = default;
                payload = default;
                return false;
            }
            if (!QueueMessage.TryReadHeader(message, out uint connection, out QueueMessageKind kind))
            {
                throw ThrowHelper.Protocol("malformed message envelope");
            }
            if (kind == QueueMessageKind.Bye)
            {
                if (connection == _selfWake)
                {
                    continue; // our own wake-up: the flags it was sent for end the loop above
                }
                if (connection != _connection)
                {
                    throw ThrowHelper.Protocol($"a Bye for connection {connection} arrived on connection {_connection}");
                }
                if (message.Length == QueueMessage.HeaderSize + 1 && message[QueueMessage.HeaderSize] == SysVQueue.FinalBye)
                {
                    _peerFinal = true;
                }
                if (_reassembler.InProgress)
                {
                    throw ThrowHelper.Protocol("connection closed in the middle of a frame");
                }
                header = default;
                payload = default;
                return false;
            }
            if (connection != _connection)
            {
                throw ThrowHelper.Protocol($"a message for connection {connection} arrived on connection {_connection}");
            }
            if (_reassembler.TryAddFrame(kind, message.Slice(QueueMessage.HeaderSize), maxPayloadLength, out header, out payload))
            {
                return true;
            }
        }
    }

    /// <summary>The next message for this connection (envelope and body); false once closed or the queue is gone.</summary>
    private bool NextMessage(out ReadOnlySpan<byte> message)
    {
        message = default;
        int timeoutMs = _receiveTimeoutMs;
        long deadline = timeoutMs < 0 ? 0 : Environment.TickCount64 + timeoutMs;
        while (true)
        {
            if (_shutdown || _peerGone)
            {
                return false;
            }
            if (_isServer)
            {
                lock (_backlogLock)
                {
                    if (_backlog.TryDequeue(out (byte[] Buffer, int Length) held))
                    {
                        _backlogBytes -= held.Length;
                        _lent = held.Buffer;
                        message = new ReadOnlySpan<byte>(held.Buffer, Interop.SysVMsg.TypeSize, held.Length);
                        return true;
                    }
                    _receiverInKernel = true;
                }
            }
            nint read;
            fixed (byte* buffer = _receiveBuffer)
            {
                // With a timeout (the handshake only) the wait is a poll with sleeps: msgrcv has no timeout of its own.
                read = Interop.SysVMsg.MsgRcv(_queue.Id, buffer, (nuint)_queue.MessageSize, _readType, deadline == 0 ? 0 : Interop.SysVMsg.IPC_NOWAIT);
            }
            _receiverInKernel = false;
            if (read >= 0)
            {
                message = new ReadOnlySpan<byte>(_receiveBuffer, Interop.SysVMsg.TypeSize, (int)read);
                return true;
            }
            switch (Marshal.GetLastPInvokeError())
            {
                case Interop.SysVMsg.EINTR:
                    break;
                case Interop.SysVMsg.ENOMSG:
                    if (Environment.TickCount64 >= deadline)
                    {
                        throw new TimeoutException("no message within the receive timeout");
                    }
                    Thread.Sleep(1);
                    break;
                case Interop.SysVMsg.EIDRM:
                case Interop.SysVMsg.EINVAL:
                    return false; // the queue was removed: the server stopped, or its process died
                case Interop.SysVMsg.E2BIG:
                    throw ThrowHelper.Protocol($"a message larger than {_queue.MessageSize} bytes");
                default:
                    throw Interop.LastError("msgrcv", SysVEndpoint.KeyText(_queue.Key));
            }
        }
    }

    protected override void SendCore(ReadOnlySpan<byte> frame)
    {
        var pieces = new FrameFragments(frame, _queue.MessageSize - QueueMessage.HeaderSize);
        fixed (byte* buffer = _sendBuffer)
        {
            *(long*)buffer = _writeType;
            var envelope = new Span<byte>(buffer + Interop.SysVMsg.TypeSize, _queue.MessageSize);
            while (pieces.MoveNext())
            {
                QueueMessage.WriteHeader(envelope, _connection, pieces.Kind);
                pieces.Body.CopyTo(envelope.Slice(QueueMessage.HeaderSize));
                Post(buffer, QueueMessage.HeaderSize + pieces.Body.Length);
            }
        }
    }

    private void Post(byte* message, int size)
    {
        long stalledSince = 0;
        int attempt = 0;
        while (true)
        {
            if (_shutdown)
            {
                throw new IpcDisconnectedException("The connection is closed.");
            }
            if (Interop.SysVMsg.MsgSnd(_queue.Id, message, (nuint)size, Interop.SysVMsg.IPC_NOWAIT) == 0)
            {
                return;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.SysVMsg.EINTR)
            {
                continue;
            }
            if (errno is Interop.SysVMsg.EIDRM or Interop.SysVMsg.EINVAL)
            {
                throw new IpcDisconnectedException("The server closed the connection: its queue was removed (the server stopped, or its process exited).");
            }
            if (errno != Interop.SysVMsg.EAGAIN)
            {
                throw Interop.LastError("msgsnd", SysVEndpoint.KeyText(_queue.Key));
            }
            if (_peerGone)
            {
                throw new IOException("the peer process exited");
            }
            if (_isServer && Drain())
            {
                continue;
            }
            long now = Environment.TickCount64;
            if (stalledSince == 0)
            {
                stalledSince = now;
            }
            else if (now - stalledSince > _sendStallLimitMs)
            {
                // The queue stayed full: a peer that does not read must not wedge the queue for everyone.
                Shutdown();
                throw new IOException($"the queue stayed full for {_sendStallLimitMs} ms: the peer does not read its messages");
            }
            Backoff(ref attempt);
        }
    }

    /// <summary>
    /// Waits for a reader to make room in the full queue. msgsnd cannot be polled, so: a few yields (the
    /// reader may be runnable on this very core), then sleeps from 20 µs doubling to 1 ms. A flat 1 ms sleep
    /// made a 64 KiB frame, eight messages through a 16 KiB queue, take milliseconds.
    /// </summary>
    private static void Backoff(ref int attempt)
    {
        if (attempt < 3)
        {
            Thread.Yield();
        }
        else
        {
            Interop.SysVMsg.SleepMicroseconds(Math.Min(20u << Math.Min(attempt - 3, 6), 1000u));
        }
        attempt++;
    }

    /// <summary>
    /// Moves this connection's waiting requests from the queue into the backlog, making room for the reply
    /// being sent. Never while the receiving thread is inside msgrcv: it would then wait in the kernel
    /// for messages already taken. True when something was moved.
    /// </summary>
    private bool Drain()
    {
        bool moved = false;
        lock (_backlogLock)
        {
            if (_receiverInKernel || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }
            while (_backlogBytes < MaxBacklogBytes)
            {
                byte[] held = ArrayPool<byte>.Shared.Rent(Interop.SysVMsg.TypeSize + _queue.MessageSize);
                nint read;
                fixed (byte* buffer = held)
                {
                    read = Interop.SysVMsg.MsgRcv(_queue.Id, buffer, (nuint)_queue.MessageSize, _readType, Interop.SysVMsg.IPC_NOWAIT);
                }
                if (read < 0)
                {
                    ArrayPool<byte>.Shared.Return(held);
                    if (Marshal.GetLastPInvokeError() == Interop.SysVMsg.EINTR)
                    {
                        continue;
                    }
                    break;
                }
                _backlog.Enqueue((held, (int)read));
                _backlogBytes += (int)read;
                moved = true;
            }
        }
        return moved;
    }

    public override void SetReceiveTimeout(TimeSpan? timeout)
        => _receiveTimeoutMs = timeout is null ? -1 : (int)Math.Max(1, timeout.Value.TotalMilliseconds);

    /// <summary>Tells the peer this side sends no more (it reads end of stream) while this side may still read.</summary>
    public void ShutdownSend() => _queue.TrySendControl(_writeType, _connection, QueueMessageKind.Bye);

    public override void Shutdown()
    {
        _shutdown = true;
        lock (_stateLock)
        {
            if (Volatile.Read(ref _disposed) == 0 && !_queue.TrySendControl(_readType, _selfWake, QueueMessageKind.Bye))
            {
                _wakePending = true; // the queue is full: the watcher retries
                _watch.NeedsTicks = true;
                _watcher.Wake();
            }
        }
    }

    /// <summary>The watcher's callback: peer death, wake retries, and a closed connection's last purge.</summary>
    private bool Check(bool exited)
    {
        lock (_stateLock)
        {
            if (exited)
            {
                _peerGone = true;
            }
            if (!_isServer)
            {
                if (exited)
                {
                    // The server process died and left its queue behind; removing it wakes every reader with
                    // EIDRM. A restarted server would reclaim it anyway.
                    Interop.SysVMsg.Remove(_queue.Id);
                    return true;
                }
                if (_wakePending)
                {
                    _wakePending = !_queue.TrySendControl(_readType, _selfWake, QueueMessageKind.Bye);
                }
                _watch.NeedsTicks = _wakePending;
                return false;
            }
            if (_lingering)
            {
                // Closed; only the client's unread replies may be left. Gone for good once the client sent its
                // final Bye (it reads no more) or exited.
                if (_queue.Purge(_readType, _connection) || _peerGone)
                {
                    _queue.Purge(_writeType, _connection);
                    return true;
                }
                return false;
            }
            if (_peerGone && !_deathWakeSent)
            {
                _queue.Purge(_writeType, _connection); // replies nobody will read: room for the wake-up
                _deathWakeSent = _queue.TrySendControl(_readType, _selfWake, QueueMessageKind.Bye);
            }
            if (_wakePending)
            {
                _wakePending = !_queue.TrySendControl(_readType, _selfWake, QueueMessageKind.Bye);
            }
            _watch.NeedsTicks = (_peerGone && !_deathWakeSent) || _wakePending;
            return false;
        }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _shutdown = true;
        lock (_stateLock)
        {
            if (_isServer)
            {
                bool peerDead = _peerGone || (_watch.Pidfd is { } pidfd && Interop.Pidfd.HasExited(pidfd));
                bool final = _queue.Purge(_readType, _connection) || _peerFinal;
                if (peerDead || final)
                {
                    _queue.Purge(_writeType, _connection);
                    _watcher.Remove(_watch);
                }
                else
                {
                    // The client may still be reading (its last replies, a refusal): it reads end of stream
                    // next. What it leaves unread goes once it sends its final Bye or exits (watcher ticks).
                    _queue.TrySendControl(_writeType, _connection, QueueMessageKind.Bye);
                    _lingering = true;
                    _watch.NeedsTicks = true;
                    _watcher.Wake();
                }
            }
            else
            {
                // Our own leftovers first, then the final Bye: after it the server purges whatever of ours
                // arrives late.
                _queue.Purge(_readType, _connection);
                _queue.TrySendControl(_writeType, _connection, QueueMessageKind.Bye, final: true);
            }
        }
        if (_ownsWatcher)
        {
            _watcher.Dispose();
        }
        lock (_backlogLock)
        {
            while (_backlog.TryDequeue(out (byte[] Buffer, int Length) held))
            {
                ArrayPool<byte>.Shared.Return(held.Buffer);
            }
            _backlogBytes = 0;
        }
        if (_lent is { } lent)
        {
            _lent = null;
            ArrayPool<byte>.Shared.Return(lent);
        }
        _reassembler.Dispose();
        _onDispose?.Invoke();
    }

    private sealed class Watch : PeerWatcher.Entry
    {
        private readonly SysVChannel _channel;

        public Watch(SysVChannel channel, SafeFileHandle pidfd)
            : base(pidfd) => _channel = channel;

        public override bool Check(bool exited) => _channel.Check(exited);
    }
}
