using System.Net.Sockets;
using IpcGen.Transports.UnixSocket;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// A connection over two rings in a shared segment, with the Unix control socket it was set up on
/// kept open as the liveness signal: a watcher thread blocks in <c>recv</c> on it, and its end of
/// stream (the peer exited, even by SIGKILL) closes the connection and wakes any thread asleep on a
/// ring. Frames are cut out of the inbound ring's byte stream by <see cref="StreamFrameChannel"/>.
/// </summary>
internal sealed unsafe class SharedMemoryChannel : StreamFrameChannel, Pipe.IRawSendShutdown
{
    private readonly Socket _control;
    private readonly PeerCredentials _peer;
    private readonly byte* _segment;
    private readonly long _segmentSize;
    private readonly SharedMemoryRing _inbound;
    private readonly SharedMemoryRing _outbound;
    private readonly Thread _watcher;
    private int _closed;
    private int _activeOperations;
    private int _disposeStarted;
    private int _disposed; // set once no new ring operation may start

    public SharedMemoryChannel(Socket control, byte* segment, long segmentSize, int capacity, bool isServer, IpcWaitStrategy strategy)
    {
        _control = control;
        _peer = UnixSocketChannel.ReadPeerCredentials(control);
        _segment = segment;
        _segmentSize = segmentSize;
        var clientToServer = new SharedMemoryRing(segment + SharedMemoryLayout.RingOffset(capacity, 0), capacity, strategy, this);
        var serverToClient = new SharedMemoryRing(segment + SharedMemoryLayout.RingOffset(capacity, 1), capacity, strategy, this);
        _inbound = isServer ? clientToServer : serverToClient;
        _outbound = isServer ? serverToClient : clientToServer;
        _watcher = new Thread(WatchControlSocket) { IsBackground = true, Name = "IpcGen shared-memory watcher" };
        _watcher.Start();
    }

    public override PeerCredentials Peer => _peer;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>The mapped segment, for tests that play a hostile peer.</summary>
    internal byte* Segment => _segment;

    internal long SegmentSize => _segmentSize;

    protected override int ReceiveCore(Span<byte> destination)
    {
        if (!Enter())
        {
            return 0;
        }
        try
        {
            int read = _inbound.Read(destination);
            if (read == 0 && Volatile.Read(ref _handshakeTimedOut) != 0)
            {
                throw new TimeoutException("no data within the receive timeout");
            }
            return read;
        }
        finally
        {
            Exit();
        }
    }

    protected override void SendCore(ReadOnlySpan<byte> frame)
    {
        if (!Enter())
        {
            throw new IpcDisconnectedException("The shared-memory connection is closed.");
        }
        try
        {
            _outbound.Write(frame);
        }
        finally
        {
            Exit();
        }
    }

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
    }
}
