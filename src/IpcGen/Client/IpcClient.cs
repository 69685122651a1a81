using System.ComponentModel;
using IpcGen.Diagnostics;
using IpcGen.Protocol;
using IpcGen.Transports;
using MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcGen.Runtime;

/// <summary>
/// A client connection to one server: sends requests, matches responses to calls by call id, and
/// fails every call in flight the moment the connection is lost. Created by a generated proxy's
/// <c>Connect</c>; application code uses the proxy.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class IpcClient : IDisposable, IAsyncDisposable
{
    private readonly FrameChannel _channel;
    private readonly bool _sendsWithoutWaiting; // a sync caller may send, then read its own answer (shared memory)

    internal bool CanPassDescriptors => _channel.CanPassDescriptors;
    private readonly string _contractName;
    private readonly string _endpoint;
    private readonly int _maxInbound;
    private readonly int _maxOutbound;
    private readonly TimeSpan _callTimeout;
    private readonly int _callTimeoutMs;
    private readonly ILogger _logger;
    private readonly Thread _receiveThread;

    private readonly object _pendingLock = new();
    private readonly Dictionary<uint, IpcClientCall> _pending = new();
    private readonly IpcClientCall _abandoned; // stands in the table for a call given up whose answer is still to come
    private int _pendingCount; // _pending.Count, readable without the lock
    private int _nextCallId;
    private uint _nextOwnCallId = 1;
    private Exception? _closed;

    // Who reads the channel: the holder of its receiver role, one thread at a time. A synchronous caller
    // reads its own response when nobody else is reading (no thread hop, and no syscall at all on a
    // spinning transport); the background reader takes over whenever calls are pending and no caller is reading.
    private readonly object _parkLock = new();
    private bool _wakeRequested;

    private readonly object _poolLock = new();
    private readonly Stack<IpcClientCall> _pool = new();
    private IpcClientCall? _spareCall; // one call kept out of the locked pool: the common case of one caller at a time

    // One call per thread kept without any atomic: a thread calling in a loop reuses its own. A call left
    // here by a client since disposed is only memory, dropped when the thread next parks another.
    [ThreadStatic]
    private static IpcClientCall? t_spareCall;
    private IpcClientCall? _readerCall; // the reader's own synchronous call, kept out of the pending table
    private const int MaxPooledCalls = 64;

    private int _disposed;

    private IpcClient(FrameChannel channel, string contractName, string endpoint, int maxInbound, int maxOutbound, IpcClientOptions options)
    {
        _channel = channel;
        _sendsWithoutWaiting = channel.CanSendWithoutWaiting;
        _contractName = contractName;
        _endpoint = endpoint;
        _maxInbound = maxInbound;
        _maxOutbound = maxOutbound;
        _callTimeout = options.CallTimeout;
        _callTimeoutMs = options.CallTimeout == Timeout.InfiniteTimeSpan ? Timeout.Infinite : (int)options.CallTimeout.TotalMilliseconds;
        _logger = options.Logger ?? NullLogger.Instance;
        SerializerOptions = options.SerializerOptions ?? IpcDefaults.SerializerOptions;
        _receiveThread = new Thread(BackgroundReader) { IsBackground = true, Name = $"IpcGen client {contractName}" };
        _abandoned = new IpcClientCall(this);
    }

    internal MessagePackSerializerOptions SerializerOptions { get; }

    /// <summary>The contract this client speaks.</summary>
    public string ContractName => _contractName;

    /// <summary>The endpoint this client is connected to.</summary>
    public string Endpoint => _endpoint;

    /// <summary>The server process's credentials, as the kernel reported them at connect time.</summary>
    public PeerCredentials Server => _channel.Peer;

    /// <summary>False once the connection is lost or disposed; calls then fail with <see cref="IpcDisconnectedException"/>.</summary>
    public bool IsConnected => Volatile.Read(ref _closed) is null;

    /// <summary>Connects and completes the handshake, blocking the calling thread.</summary>
    public static IpcClient Connect(string contractName, ulong contractFingerprint, IpcTransport defaultTransport, IpcClientOptions? options)
        => ConnectAsync(contractName, contractFingerprint, defaultTransport, options, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Connects and completes the handshake.</summary>
    public static async ValueTask<IpcClient> ConnectAsync(string contractName, ulong contractFingerprint, IpcTransport defaultTransport,
        IpcClientOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contractName);
        IpcPlatform.EnsureSupported();
        options ??= new IpcClientOptions();
        IpcDefaults.Validate(options.MaxMessageSize, nameof(options.MaxMessageSize));
        string endpoint = options.Endpoint ?? contractName;
        IpcTransport transport = options.Transport ?? defaultTransport;
        long start = Environment.TickCount64;

        FrameChannel channel = await TransportFactory.ConnectAsync(transport, endpoint, options, cancellationToken).ConfigureAwait(false);
        return Open(channel, contractName, contractFingerprint, endpoint, options, start);
    }

    /// <summary>Completes the handshake over a connected channel (owned from here on) and starts the client.</summary>
    internal static IpcClient Open(FrameChannel channel, string contractName, ulong contractFingerprint, string endpoint, IpcClientOptions options, long start)
    {
        try
        {
            TimeSpan remaining = options.ConnectTimeout == Timeout.InfiniteTimeSpan
                ? Timeout.InfiniteTimeSpan
                : options.ConnectTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - start);
            int serverMax = Handshake(channel, contractName, contractFingerprint, options.MaxMessageSize, remaining, endpoint);
            var client = new IpcClient(channel, contractName, endpoint, options.MaxMessageSize, Math.Min(serverMax, options.MaxMessageSize), options);
            client._receiveThread.Start();
            return client;
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    private static int Handshake(FrameChannel channel, string contractName, ulong fingerprint, int maxMessageSize, TimeSpan timeout, string endpoint)
    {
        var writer = new FrameWriter();
        try
        {
            var mine = new Handshake(fingerprint, maxMessageSize, contractName);
            writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
            mine.Write(writer);
            channel.Send(writer.Complete());
        }
        finally
        {
            writer.Release();
        }

        channel.SetReceiveTimeout(timeout == Timeout.InfiniteTimeSpan ? null : timeout < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : timeout);
        try
        {
            if (!channel.TryReceive(4096, out FrameHeader header, out ReadOnlySpan<byte> payload))
            {
                throw new IpcDisconnectedException($"The server at '{endpoint}' closed the connection during the handshake.");
            }
            switch (header.Kind)
            {
                case FrameKind.HandshakeAck:
                    Handshake server = Protocol.Handshake.Read(payload);
                    if (server.Fingerprint != fingerprint || server.ContractName != contractName)
                    {
                        throw new IpcContractMismatchException(contractName, fingerprint, server.ContractName, server.Fingerprint);
                    }
                    channel.SetReceiveTimeout(null);
                    return server.MaxMessageSize;
                case FrameKind.HandshakeRefuse:
                    (RefuseReason reason, Handshake refusing) = HandshakeRefusal.Read(payload);
                    throw reason switch
                    {
                        RefuseReason.ContractMismatch => new IpcContractMismatchException(contractName, fingerprint, refusing.ContractName, refusing.Fingerprint),
                        RefuseReason.Unauthorized => new IpcAuthorizationException($"The server at '{endpoint}' does not admit this process's user (uid {RuntimeDirectory.CurrentUserId}); see IpcServerOptions.Authorization."),
                        RefuseReason.ServerFull => new IpcException($"The server at '{endpoint}' has reached its connection limit."),
                        _ => new IpcException($"The server at '{endpoint}' refused the connection (reason {(byte)reason})."),
                    };
                default:
                    throw ThrowHelper.Protocol($"expected a handshake answer, got a {header.Kind} frame");
            }
        }
        catch (TimeoutException ex)
        {
            throw new IpcTimeoutException($"The server at '{endpoint}' did not answer the handshake in time.", ex);
        }
        finally
        {
            channel.ReleaseReceived();
        }
    }

    /// <summary>Rents a call and starts its request frame.</summary>
    public IpcClientCall StartCall(uint methodId) => StartCall(methodId, 0);

    /// <summary>Rents a call and starts its request frame with a priority (0–31) from <see cref="IpcPriorityAttribute"/>.</summary>
    public IpcClientCall StartCall(uint methodId, int priority)
    {
        IpcClientCall? call = t_spareCall;
        if (call is not null && call.Client == this)
        {
            t_spareCall = null;
        }
        else if ((call = Interlocked.Exchange(ref _spareCall, null)) is null)
        {
            lock (_poolLock)
            {
                _pool.TryPop(out call);
            }
            call ??= new IpcClientCall(this);
        }
        // The call id is assigned on registration; 0 until then.
        call.Start(methodId, 0, _maxOutbound, (byte)(priority & Protocol.FrameHeader.PriorityMask));
        return call;
    }

    /// <summary>Returns a call to the pool. Always called, in a finally block, once the result is read.</summary>
    public void EndCall(IpcClientCall call)
    {
        if (t_spareCall is null && Volatile.Read(ref _disposed) == 0)
        {
            t_spareCall = call; // the common case: the same thread calls again
            return;
        }
        if (Interlocked.CompareExchange(ref _spareCall, call, null) is null)
        {
            return;
        }
        lock (_poolLock)
        {
            if (_pool.Count < MaxPooledCalls)
            {
                _pool.Push(call);
                return;
            }
        }
        call.Release();
    }

    /// <summary>Sends the request and blocks until its response arrives; throws what the call raised.</summary>
    public void Invoke(IpcClientCall call) => Invoke(call, CancellationToken.None);

    /// <summary>Sends the request and blocks until its response arrives, the token is cancelled or the call times out.</summary>
    public void Invoke(IpcClientCall call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        call.PrepareSync();

        // Without a timeout or a token to watch, and with nobody else reading or sending, this thread becomes
        // the reader and the sender at once (one atomic instruction) and sends: the call stays out of the
        // pending table (no lock, no lookup), and the answer is read on this thread as soon as it lands; with
        // Spin, with no system call. Only a send that cannot wait goes this way (a shared-memory ring with
        // room for the whole request now): a reader waiting for ring space would leave unread the answers
        // the server is meanwhile blocked on. (That transport carries no descriptors; a request with any
        // goes the usual way, which attaches them.)
        if (_sendsWithoutWaiting && _callTimeoutMs == Timeout.Infinite && !cancellationToken.CanBeCanceled && !call.Request.HasDescriptors
            && _channel.TryEnterReceiverAndSender())
        {
            if (SendAndReadAsReader(call))
            {
                call.ThrowIfFailed();
                return;
            }
            // Not sent (the ring is too full): the usual way below, as when another thread reads or sends.
        }

        Register(call);
        Send(call);

        // Without a timeout or a token to watch, read the response on this thread if nobody else is
        // reading: the answer wakes this thread directly.
        if (_callTimeoutMs == Timeout.Infinite && !cancellationToken.CanBeCanceled && TryBecomeReader())
        {
            try
            {
                while (!call.IsSyncCompleted && ReadOneFrame())
                {
                }
            }
            finally
            {
                StopReading();
            }
        }
        else if (!_channel.ReceiverTaken)
        {
            WakeBackgroundReader();
        }

        CallWaiter done = call.SyncCompletion;
        bool completed;
        try
        {
            completed = done.Wait(_callTimeoutMs, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (TryAbandon(call, call.CallId))
            {
                throw;
            }
            // The response won the race: use it.
            done.Wait(Timeout.Infinite, CancellationToken.None);
            completed = true;
        }
        if (!completed)
        {
            if (TryAbandon(call, call.CallId))
            {
                throw TimeoutFailure();
            }
            done.Wait(Timeout.Infinite, CancellationToken.None);
        }
        call.ThrowIfFailed();
    }

    /// <summary>Sends the request; the returned task completes when its response arrives.</summary>
    public ValueTask InvokeAsync(IpcClientCall call, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        call.PrepareAsync();
        Register(call);
        Send(call);
        call.WatchAsync(cancellationToken, _callTimeout);
        if (!_channel.ReceiverTaken)
        {
            WakeBackgroundReader();
        }
        return new ValueTask(call, call.Version);
    }

    /// <summary>Sends a one-way request; returns once it is handed to the transport.</summary>
    public void SendOneWay(IpcClientCall call)
    {
        ThrowIfClosed();
        call.Request.SetKind(FrameKind.OneWay);
        try
        {
            _channel.Send(call.Request.Complete(), call.Request.Descriptors);
        }
        catch (IpcDisconnectedException ex)
        {
            Close(ex);
            throw;
        }
        finally
        {
            call.Request.ReleaseDescriptors();
        }
    }

    private void Register(IpcClientCall call)
    {
        lock (_pendingLock)
        {
            ThrowIfClosed();
            uint id = NextCallId();
            call.CallId = id;
            call.Request.SetCallId(id);
            _pending.Add(id, call);
            // Interlocked: a full fence before the caller looks at the receiver role (see StopReading).
            Interlocked.Increment(ref _pendingCount);
        }
    }

    /// <summary>
    /// The reader's own call, with the receiver and sender roles held: sent only if that needs no wait, then
    /// read here until its answer is in. False, with both roles given up and nothing sent, when the send
    /// would have to wait.
    /// </summary>
    private bool SendAndReadAsReader(IpcClientCall call)
    {
        try
        {
            bool sent;
            try
            {
                ThrowIfClosed();
                uint id = NextOwnCallId();
                call.CallId = id;
                call.Request.SetCallId(id);
                sent = _channel.SendWithoutWaitingHeld(call.Request.Complete());
            }
            catch (IpcDisconnectedException ex)
            {
                Close(ex);
                throw new IpcDisconnectedException(ex.Message, ex.InnerException);
            }
            finally
            {
                _channel.ExitSender();
            }
            if (!sent)
            {
                return false;
            }
            _readerCall = call;
            while (!call.IsSyncCompleted && ReadOneFrame())
            {
            }
        }
        finally
        {
            _readerCall = null;
            StopReading();
        }
        if (!call.IsSyncCompleted)
        {
            ThrowIfClosed(); // the connection was lost before the answer came
        }
        return true;
    }

    private void Send(IpcClientCall call)
    {
        try
        {
            _channel.Send(call.Request.Complete(), call.Request.Descriptors);
        }
        catch (IpcDisconnectedException ex)
        {
            Close(ex);
            // Close failed every pending call, this one included; report it to this caller now.
            throw new IpcDisconnectedException(ex.Message, ex.InnerException);
        }
        finally
        {
            call.Request.ReleaseDescriptors();
        }
    }

    /// <summary>The next id of a call in the pending table: even, never 0.</summary>
    private uint NextCallId()
    {
        uint id = (uint)Interlocked.Increment(ref _nextCallId) << 1;
        return id != 0 ? id : (uint)Interlocked.Increment(ref _nextCallId) << 1;
    }

    /// <summary>The next id of a reader's own call: odd, so never 0 and never one of the table's; only the reader assigns them.</summary>
    private uint NextOwnCallId() => _nextOwnCallId += 2;

    /// <summary>
    /// Takes a call out of the pending table if it is still there under <paramref name="callId"/>, and
    /// tells the server to cancel it. False when the response (or a failure) got there first.
    /// </summary>
    internal bool TryAbandon(IpcClientCall call, uint callId)
    {
        lock (_pendingLock)
        {
            if (!_pending.TryGetValue(callId, out IpcClientCall? pending) || !ReferenceEquals(pending, call))
            {
                return false;
            }
            // The server will still answer: the entry stays, marked, so that a reader keeps draining answers
            // until that one is read and dropped. Answers nobody reads would fill the transport, and the
            // server, blocked sending them, would stop reading requests.
            _pending[callId] = _abandoned;
        }
        SendControl(FrameKind.Cancel, callId);
        if (!_channel.ReceiverTaken)
        {
            WakeBackgroundReader();
        }
        return true;
    }

    internal IpcTimeoutException TimeoutFailure()
        => new($"The call did not complete within the call timeout of {_callTimeout.TotalMilliseconds:0.###} ms; the server was told to cancel it.");

    private void SendControl(FrameKind kind, uint callId)
    {
        try
        {
            _channel.SendControl(kind, callId);
        }
        catch (IpcDisconnectedException)
        {
            // The connection is gone: there is nothing left to cancel or close.
        }

    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) is { } closed)
        {
            throw closed is IpcDisconnectedException
                ? new IpcDisconnectedException(closed.Message, closed.InnerException)
                : new IpcDisconnectedException("The connection is closed.", closed);
        }
    }

    private bool TryBecomeReader() => _channel.TryEnterReceiver();

    private void StopReading()
    {
        // A full fence, then a look for calls left waiting: a caller that registered meanwhile either saw
        // the reader busy (and relies on this check) or sees it free and wakes the background reader.
        _channel.ExitReceiver();
        if (Volatile.Read(ref _pendingCount) > 0 && Volatile.Read(ref _closed) is null)
        {
            WakeBackgroundReader();
        }
    }

    private void WakeBackgroundReader()
    {
        lock (_parkLock)
        {
            _wakeRequested = true;
            Monitor.Pulse(_parkLock);
        }
    }

    /// <summary>Reads calls' answers while any are pending and no caller is reading; parks otherwise.</summary>
    private void BackgroundReader()
    {
        while (Volatile.Read(ref _closed) is null)
        {
            lock (_parkLock)
            {
                while (!_wakeRequested && Volatile.Read(ref _closed) is null)
                {
                    Monitor.Wait(_parkLock);
                }
                _wakeRequested = false;
            }
            while (Volatile.Read(ref _pendingCount) > 0 && TryBecomeReader())
            {
                try
                {
                    while (Volatile.Read(ref _pendingCount) > 0)
                    {
                        if (!ReadOneFrame())
                        {
                            return;
                        }
                    }
                }
                finally
                {
                    StopReading();
                }
            }
        }
    }

    /// <summary>
    /// Reads one frame and acts on it; false once the connection is closed (every pending call has
    /// then failed). Only the current reader calls this.
    /// </summary>
    private bool ReadOneFrame()
    {
        Exception reason;
        try
        {
            if (!_channel.TryReceive(_maxInbound, out FrameHeader header, out ReadOnlySpan<byte> payload))
            {
                reason = new IpcDisconnectedException($"The server at '{_endpoint}' closed the connection (the server process exited or stopped serving).");
            }
            else
            {
                if (header.DescriptorCount != 0)
                {
                    throw ThrowHelper.Protocol("the server attached file descriptors to a frame; only requests carry them");
                }
                switch (header.Kind)
                {
                    case FrameKind.Response:
                    case FrameKind.Error:
                        IpcClientCall? call = _readerCall;
                        bool own = call is not null && call.CallId == header.CallId;
                        if (own)
                        {
                            _readerCall = null; // this thread's own call: not in the table
                        }
                        else
                        {
                            lock (_pendingLock)
                            {
                                if (_pending.Remove(header.CallId, out call))
                                {
                                    _pendingCount--;
                                }
                            }
                            if (ReferenceEquals(call, _abandoned))
                            {
                                call = null;
                            }
                        }
                        // No pending call: the caller gave up (timeout, cancellation); the answer is dropped.
                        call?.Complete(header.Kind, payload, byItsCaller: own);
                        return true;
                    case FrameKind.Ping:
                        SendControl(FrameKind.Pong, header.CallId);
                        return true;
                    case FrameKind.Pong:
                        return true;
                    case FrameKind.Close:
                        reason = new IpcDisconnectedException($"The server at '{_endpoint}' closed the connection (it is shutting down).");
                        break;
                    default:
                        throw ThrowHelper.Protocol($"unexpected {header.Kind} frame from the server");
                }
            }
        }
        catch (IpcProtocolException ex)
        {
            reason = new IpcDisconnectedException($"The connection to '{_endpoint}' was closed: the server broke the protocol ({ex.Message}).", ex);
        }
        catch (Exception ex)
        {
            reason = new IpcDisconnectedException($"The connection to '{_endpoint}' failed: {ex.Message}", ex);
        }
        finally
        {
            // The answer is copied into its call by now; an in-place transport gets the space back.
            _channel.ReleaseReceived();
        }
        if (Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _closed) is null)
        {
            Log.ClientDisconnected(_logger, _endpoint, reason.Message);
        }
        Close(reason);
        return false;
    }

    /// <summary>Marks the connection closed and fails every pending call with <paramref name="reason"/>.</summary>
    private void Close(Exception reason)
    {
        List<IpcClientCall>? failed = null;
        lock (_pendingLock)
        {
            if (_closed is not null)
            {
                return;
            }
            Volatile.Write(ref _closed, reason);
            if (_pending.Count > 0)
            {
                failed = new List<IpcClientCall>(_pending.Values);
                _pending.Clear();
            }
            _pendingCount = 0;
        }
        _channel.Shutdown();
        WakeBackgroundReader();
        if (failed is not null)
        {
            foreach (IpcClientCall call in failed)
            {
                if (!ReferenceEquals(call, _abandoned))
                {
                    call.Fail(reason);
                }
            }
        }
    }

    /// <summary>Closes the connection: calls in flight fail with <see cref="IpcDisconnectedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (IsConnected)
        {
            SendControl(FrameKind.Close, 0);
        }
        Close(new IpcDisconnectedException("The client was disposed."));
        if (Thread.CurrentThread != _receiveThread)
        {
            _receiveThread.Join(TimeSpan.FromSeconds(5));
            // No thread may be receiving when the channel goes (shared memory unmaps its rings): a caller
            // reading its own answer was woken by Close and leaves at once; the reader role then stays taken.
            var spinner = new SpinWait();
            while (!TryBecomeReader())
            {
                spinner.SpinOnce();
            }
        }
        _channel.Dispose();
        lock (_poolLock)
        {
            while (_pool.TryPop(out IpcClientCall? call))
            {
                call.Release();
            }
        }
        _abandoned.Release();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }
}
