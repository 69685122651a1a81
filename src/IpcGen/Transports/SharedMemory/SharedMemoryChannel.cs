using System.Buffers;
using System.Net.Sockets;
using IpcGen.Protocol;
using IpcGen.Transports.UnixSocket;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// A connection over two rings in a shared segment, with the Unix control socket it was set up on
/// kept open as the liveness signal: a watcher thread blocks in <c>recv</c> on it, and its end of
/// stream (the peer exited, even by SIGKILL) closes the connection and wakes any thread asleep on a
/// ring. A frame travels as one ring record, or as a first piece and further pieces when it is larger
/// than a record may be; a received whole frame is handed out in place, in the ring, until the next
/// receive or <see cref="ReleaseReceived"/>.
/// </summary>
internal sealed unsafe class SharedMemoryChannel : FrameChannel, Pipe.IRawSendShutdown, IRingOwner
{
    private readonly Socket _control;
    private readonly PeerCredentials _peer;
    private readonly byte* _segment;
    private readonly long _segmentSize;
    private readonly SharedMemoryRing _inbound;
    private readonly SharedMemoryRing _outbound;
    private readonly Thread _watcher;
    private int _closed;
    private int _activeOperations; // wake-ups in progress (Shutdown from the watcher), which Dispose waits for
    private int _disposeStarted;
    private int _disposed; // set once no new ring operation may start

    // Receive side (one thread at a time): a record handed out in place, or a frame put back together.
    private bool _holding; // the receiving thread holds a record until ReleaseReceived
    private byte[]? _reassembly;

    public SharedMemoryChannel(Socket control, byte* segment, long segmentSize, int capacity, long tagKey, bool isServer, IpcWaitStrategy strategy)
    {
        _control = control;
        _peer = UnixSocketChannel.ReadPeerCredentials(control);
        _segment = segment;
        _segmentSize = segmentSize;
        var clientToServer = new SharedMemoryRing(segment + SharedMemoryLayout.RingOffset(capacity, 0), capacity, tagKey, strategy, this);
        var serverToClient = new SharedMemoryRing(segment + SharedMemoryLayout.RingOffset(capacity, 1), capacity, tagKey, strategy, this);
        _inbound = isServer ? clientToServer : serverToClient;
        _outbound = isServer ? serverToClient : clientToServer;
        _inbound.AnnounceConsumer();
        _outbound.AnnounceProducer();
        _watcher = new Thread(WatchControlSocket) { IsBackground = true, Name = "IpcGen shared-memory watcher" };
        _watcher.Start();
    }

    public override PeerCredentials Peer => _peer;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The mapped segment, for tests that play a hostile peer.</summary>
    internal byte* Segment => _segment;

    internal long SegmentSize => _segmentSize;

    /// <summary>
    /// A whole frame's payload is returned in place, in the mapped ring; a frame put back together from
    /// pieces is in a managed buffer, so it is not.
    /// </summary>
    public override bool ReceivedInPlace => _holding;

    // Receiving needs no count of active operations: the one receiving thread's owner never disposes the
    // channel while it receives (FrameChannel's contract), so the ring cannot be unmapped under it.
    public override bool TryReceive(int maxPayloadLength, out FrameHeader header, out ReadOnlySpan<byte> payload)
    {
        ReleaseReceived();
        header = default;
        payload = default;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }
        {
            if (!_inbound.TryRead(out int type, out byte* content, out int length))
            {
                return Closed();
            }
            if (length < FrameHeader.Size || type == SharedMemoryRing.TypeContinue)
            {
                throw ThrowHelper.Protocol($"shared-memory record of type {type} and {length} bytes does not begin a frame");
            }
            header = FrameHeader.Read(new ReadOnlySpan<byte>(content, FrameHeader.Size), maxPayloadLength);
            int payloadLength = (int)header.PayloadLength;
            if (type == SharedMemoryRing.TypeFrame)
            {
                if (length - FrameHeader.Size != payloadLength)
                {
                    throw ThrowHelper.Protocol(length - FrameHeader.Size < payloadLength
                        ? $"shared-memory record of {length} bytes ends in the middle of a frame of {FrameHeader.Size + payloadLength} bytes"
                        : $"shared-memory record of {length} bytes holds more than its frame of {FrameHeader.Size + payloadLength} bytes");
                }
                payload = new ReadOnlySpan<byte>(content + FrameHeader.Size, payloadLength);
                _holding = true;
                return true;
            }
            payload = Reassemble(content, length, payloadLength);
            return true;
        }
    }

    /// <summary>
    /// Puts a frame larger than one record back together from its pieces, into a buffer the header's
    /// length (already checked against the limit) bounds; each piece must fit what is still missing.
    /// </summary>
    private ReadOnlySpan<byte> Reassemble(byte* first, int firstLength, int payloadLength)
    {
        int collected = firstLength - FrameHeader.Size;
        if (collected >= payloadLength)
        {
            throw ThrowHelper.Protocol("a shared-memory frame sent in pieces fits in its first piece");
        }
        if (_reassembly is null || _reassembly.Length < payloadLength)
        {
            if (_reassembly is not null)
            {
                ArrayPool<byte>.Shared.Return(_reassembly);
            }
            _reassembly = null;
            _reassembly = ArrayPool<byte>.Shared.Rent(payloadLength);
        }
        new ReadOnlySpan<byte>(first + FrameHeader.Size, collected).CopyTo(_reassembly);
        while (collected < payloadLength)
        {
            if (!_inbound.TryRead(out int type, out byte* content, out int length))
            {
                Closed();
                throw ThrowHelper.Protocol("connection closed in the middle of a frame");
            }
            if (type != SharedMemoryRing.TypeContinue || length > payloadLength - collected || length == 0)
            {
                throw ThrowHelper.Protocol($"shared-memory record of type {type} and {length} bytes does not continue a frame missing {payloadLength - collected} bytes");
            }
            new ReadOnlySpan<byte>(content, length).CopyTo(_reassembly.AsSpan(collected));
            collected += length;
        }
        _inbound.Release();
        return new ReadOnlySpan<byte>(_reassembly, 0, payloadLength);
    }

    private bool Closed()
    {
        if (Volatile.Read(ref _handshakeTimedOut) != 0)
        {
            throw new TimeoutException("no data within the receive timeout");
        }
        return false;
    }

    /// <summary>Gives the record a whole frame was read from back to the sender; the payload is invalid afterwards.</summary>
    public override void ReleaseReceived()
    {
        if (!_holding)
        {
            return;
        }
        _holding = false;
        _inbound.Release();
    }

    // Writing into the ring of a peer that has gone is harmless (it is our memory until Dispose, which
    // excludes senders): a send fails only when it would have to wait for space on a closed connection, so
    // frames the peer sent before it closed are still read and answered like on a half-closed socket.
    protected override void SendCore(ReadOnlySpan<byte> frame) => SendFrame(frame);

    /// <summary>Writes a frame as one record, or in pieces when it is larger than a record may be. Under the send lock.</summary>
    private void SendFrame(ReadOnlySpan<byte> frame)
    {
        int max = _outbound.MaxRecordContent;
        if (frame.Length <= max)
        {
            _outbound.Write(SharedMemoryRing.TypeFrame, frame);
            return;
        }
        _outbound.Write(SharedMemoryRing.TypeStart, frame.Slice(0, max));
        for (int sent = max; sent < frame.Length; sent += max)
        {
            _outbound.Write(SharedMemoryRing.TypeContinue, frame.Slice(sent, Math.Min(max, frame.Length - sent)));
        }
    }

    public override bool CanSendWithoutWaiting => true;

    // Under the base class's send lock, like SendCore: a frame that fits one record, if there is room now.
    protected override bool TrySendWithoutWaitingCore(ReadOnlySpan<byte> frame)
        => frame.Length <= _outbound.MaxRecordContent && _outbound.TryWrite(SharedMemoryRing.TypeFrame, frame);

    // Handshake timeouts are the control socket's business here: the rings have no receive timeout,
    // so a silent peer is caught by the watcher (EOF) or by the server's handshake timer below.
    public override void SetReceiveTimeout(TimeSpan? timeout)
    {
        _handshakeDeadline?.Dispose();
        _handshakeDeadline = timeout is { } limit
            ? new Timer(static state => ((SharedMemoryChannel)state!).OnReceiveTimeout(), this, limit, Timeout.InfiniteTimeSpan)
            : null;
    }

    private Timer? _handshakeDeadline;
    private int _handshakeTimedOut;

    private void OnReceiveTimeout()
    {
        Volatile.Write(ref _handshakeTimedOut, 1);
        Shutdown();
    }

    /// <summary>A ring has no half-close: ending our sending ends the connection (the peer sees EOF).</summary>
    void Pipe.IRawSendShutdown.ShutdownSend() => Shutdown();

    /// <summary>Closes the connection: blocked ring operations return, the peer sees our socket close.</summary>
    public override void Shutdown()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        try
        {
            _control.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        // Inside Enter/Exit like any ring access: the watcher may get here while Dispose runs, and
        // Dispose must not unmap the segment under this wake-up.
        if (Enter())
        {
            try
            {
                _inbound.WakeLocalWaiters();
                _outbound.WakeLocalWaiters();
            }
            finally
            {
                Exit();
            }
        }
    }

    private void WatchControlSocket()
    {
        Span<byte> one = stackalloc byte[1];
        try
        {
            // The peer never writes on the control socket after setup: a byte is as fatal as EOF.
            _control.Receive(one);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        Shutdown();
    }

    private bool Enter()
    {
        Interlocked.Increment(ref _activeOperations);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _activeOperations);
            return false;
        }
        return true;
    }

    private void Exit() => Interlocked.Decrement(ref _activeOperations);

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return;
        }
        Shutdown(); // wakes every thread inside a ring; they return at once
        StopSenders(); // no sender inside from here on
        Volatile.Write(ref _disposed, 1);
        _handshakeDeadline?.Dispose();
        // Unmap only once no thread is inside a ring: they were all woken by Shutdown and return at once.
        var spinner = new SpinWait();
        while (Volatile.Read(ref _activeOperations) != 0)
        {
            spinner.SpinOnce();
        }
        _watcher.Join(TimeSpan.FromSeconds(5));
        _control.Dispose();
        Interop.Mman.Unmap((nint)_segment, (nuint)_segmentSize);
        if (_reassembly is not null)
        {
            ArrayPool<byte>.Shared.Return(_reassembly);
            _reassembly = null;
        }
    }
}
