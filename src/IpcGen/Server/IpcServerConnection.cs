using System.Runtime.CompilerServices;
using IpcGen.Diagnostics;
using IpcGen.Protocol;
using IpcGen.Runtime;
using IpcGen.Transports;

namespace IpcGen;

/// <summary>
/// One client's connection on the server: a receive thread that checks the handshake, then reads
/// frames and dispatches them. A synchronous service method runs on this thread, so a call that
/// completes synchronously costs no thread hop; an asynchronous one lets the loop go on reading.
/// </summary>
internal sealed class IpcServerConnection
{
    private const int MaxPooledCalls = 32;

    private readonly IpcServer _server;
    private readonly FrameChannel _channel;
    private readonly long _id;
    private readonly Thread _thread;
    private readonly Dictionary<uint, IpcServerCall> _inFlight = new();
    private readonly Stack<IpcServerCall> _pool = new();
    private IpcServerCall? _spareCall; // one call kept out of the locked pool, for calls finished on other threads
    private IpcServerCall? _ownSpare;  // touched by the connection thread only
    private readonly FrameWriter _controlWriter = new();
    private int _maxOutbound;
    // Asynchronous calls whose answer may be sent from another thread. Raised only by the connection thread
    // (before the call can complete elsewhere), lowered after that answer is sent: at 0, the connection thread
    // is the only possible sender and its answers skip the send lock. A call that never completes keeps its
    // connection on the locked path, which is only slower.
    private int _completingElsewhere;
    private bool _refuseAsFull;
    private volatile bool _closing;

    public IpcServerConnection(IpcServer server, FrameChannel channel, long id)
    {
        _server = server;
        _channel = channel;
        _id = id;
        _thread = new Thread(Run) { IsBackground = true, Name = $"IpcGen connection {id}" };
    }

    public void Start(bool refuseAsFull)
    {
        _refuseAsFull = refuseAsFull;
        _thread.Start();
    }

    public void Close()
    {
        _closing = true;
        _channel.Shutdown();
    }

    public void Join(TimeSpan timeout) => _thread.Join(timeout);

    private void Run()
    {
        PeerCredentials peer = _channel.Peer;
        IpcCallContext.SetForCurrentConnection(new IpcCallContext(_id, peer, _server.Endpoint));
        string reason = "the client closed the connection";
        try
        {
            if (!Handshake(peer))
            {
                reason = "handshake refused";
                return;
            }
            Log.ConnectionOpened(_server.Logger, _id, peer.ProcessId, peer.UserId, peer.GroupId);
            int maxInbound = _server.Options.MaxMessageSize;
            while (_channel.TryReceive(maxInbound, out FrameHeader header, out ReadOnlySpan<byte> payload))
            {
                if (header.DescriptorCount != 0 && header.Kind is not (FrameKind.Request or FrameKind.OneWay))
                {
                    throw ThrowHelper.Protocol($"a {header.Kind} frame announced file descriptors; only requests carry them");
                }
                switch (header.Kind)
                {
                    case FrameKind.Request:
                    case FrameKind.OneWay:
                        Dispatch(header, payload);
                        break;
                    case FrameKind.Cancel:
                        if (header.PayloadLength != 0)
                        {
                            throw ThrowHelper.Protocol("cancel frame with a payload");
                        }
                        IpcServerCall? call;
                        lock (_inFlight)
                        {
                            _inFlight.TryGetValue(header.CallId, out call);
                        }
                        call?.Cancel();
                        break;
                    case FrameKind.Ping:
                        _channel.SendControl(FrameKind.Pong, header.CallId);
                        break;
                    case FrameKind.Pong:
                        break;
                    case FrameKind.Close:
                        reason = "the client closed the connection";
                        return;
                    default:
                        throw ThrowHelper.Protocol($"unexpected {header.Kind} frame from a client");
                }
            }
            if (_closing)
            {
                reason = "the server is stopping";
            }
        }
        catch (IpcProtocolException ex)
        {
            reason = "protocol violation: " + ex.Message;
            Log.ProtocolViolation(_server.Logger, _id, peer.ProcessId, ex.Message);
        }
        catch (Exception ex) when (_closing)
        {
            reason = "the server is stopping (" + ex.Message + ")";
        }
        catch (Exception ex)
        {
            reason = "failure: " + ex.Message;
            Log.ConnectionFailed(_server.Logger, ex, _id);
        }
        finally
        {
            _channel.ReleaseReceived();
            Teardown(reason);
        }
    }

    private bool Handshake(PeerCredentials peer)
    {
        IIpcDispatcher dispatcher = _server.Dispatcher;
        IpcServerOptions options = _server.Options;
        _channel.SetReceiveTimeout(options.HandshakeTimeout == Timeout.InfiniteTimeSpan ? null : options.HandshakeTimeout);
        Handshake client;
        try
        {
            if (!_channel.TryReceive(4096, out FrameHeader header, out ReadOnlySpan<byte> payload))
            {
                return false;
            }
            if (header.Kind != FrameKind.Handshake)
            {
                throw ThrowHelper.Protocol($"expected a handshake, got a {header.Kind} frame");
            }
            client = Protocol.Handshake.Read(payload);
        }
        catch (TimeoutException)
        {
            throw ThrowHelper.Protocol($"no handshake within {options.HandshakeTimeout.TotalSeconds:0.###} s");
        }

        var mine = new Handshake(dispatcher.ContractFingerprint, options.MaxMessageSize, dispatcher.ContractName);
        RefuseReason? refusal = null;
        if (!options.Authorization.IsAllowed(peer))
        {
            Log.Unauthorized(_server.Logger, _id, peer.ProcessId, peer.UserId, peer.GroupId);
            refusal = RefuseReason.Unauthorized;
        }
        else if (client.Fingerprint != mine.Fingerprint || client.ContractName != mine.ContractName)
        {
            Log.ContractMismatch(_server.Logger, _id, peer.ProcessId, client.ContractName, client.Fingerprint, mine.ContractName, mine.Fingerprint);
            refusal = RefuseReason.ContractMismatch;
        }
        else if (_refuseAsFull)
        {
            Log.ServerFull(_server.Logger, peer.ProcessId, options.MaxConnections);
            refusal = RefuseReason.ServerFull;
        }

        _controlWriter.Reset(refusal is null ? FrameKind.HandshakeAck : FrameKind.HandshakeRefuse, 0, 0, int.MaxValue);
        if (refusal is { } reason)
        {
            // Only the contract identity goes to a refused peer; nothing else about the server.
            HandshakeRefusal.Write(_controlWriter, reason, mine);
        }
        else
        {
            mine.Write(_controlWriter);
        }
        _channel.Send(_controlWriter.Complete());
        if (refusal is not null)
        {
            return false;
        }
        _channel.SetReceiveTimeout(null);
        _maxOutbound = Math.Min(options.MaxMessageSize, client.MaxMessageSize);
        return true;
    }

    private void Dispatch(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        IpcServerCall call = Rent();
        try
        {
            for (int i = 0; i < header.DescriptorCount; i++)
            {
                call.AddReceivedDescriptor(_channel.TakeReceivedDescriptor());
            }
        }
        catch
        {
            Return(call, onConnectionThread: true); // closes the descriptors taken so far
            throw;
        }
        call.Start(header, payload, _channel.ReceivedInPlace, _maxOutbound, _server.SerializerOptions);
        ValueTask pending;
        try
        {
            pending = _server.Dispatcher.DispatchAsync(call);
        }
        catch (Exception ex)
        {
            pending = ValueTask.FromException(ex);
        }
        call.EndDispatch();

        if (pending.IsCompleted)
        {
            Exception? failure = null;
            try
            {
                pending.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            Finish(call, failure, onConnectionThread: true);
            return;
        }

        lock (_inFlight)
        {
            // A duplicate call id in flight is a broken client: refuse rather than lose a call.
            if (!_inFlight.TryAdd(call.CallId, call))
            {
                call.Cancel();
                throw ThrowHelper.Protocol($"call id {call.CallId} is already in flight");
            }
        }
        Interlocked.Increment(ref _completingElsewhere); // only this thread adds: once it reads 0, no other thread sends
        _ = AwaitAndFinish(call, pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitAndFinish(IpcServerCall call, ValueTask pending)
    {
        Exception? failure = null;
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        try
        {
            lock (_inFlight)
            {
                _inFlight.Remove(call.CallId);
            }
            Finish(call, failure, onConnectionThread: false);
        }
        catch (IpcProtocolException ex)
        {
            Log.ProtocolViolation(_server.Logger, _id, _channel.Peer.ProcessId, ex.Message);
            Close();
        }
        finally
        {
            Interlocked.Decrement(ref _completingElsewhere); // after the send: the connection thread may send alone again
        }
    }

    /// <summary>Sends the response or error, then recycles the call.</summary>
    private void Finish(IpcServerCall call, Exception? failure, bool onConnectionThread)
    {
        try
        {
            if (failure is not null && !call.ArgumentsEnded && !call.ArgumentUnavailable)
            {
                // Unknown method, truncated or undecodable arguments: the request itself is malformed.
                throw failure as IpcProtocolException ?? new IpcProtocolException($"malformed request for method 0x{call.MethodId:X8}: {failure.Message}", failure);
            }
            if (call.IsOneWay)
            {
                if (failure is not null)
                {
                    Log.OneWayFailed(_server.Logger, failure, call.MethodId, _id);
                }
                return;
            }
            if (failure is not null)
            {
                call.Response.Reset(FrameKind.Error, call.MethodId, call.CallId, _maxOutbound, call.Priority);
                ErrorPayload.Write(call.Response, failure, _server.Options.IncludeExceptionStackTrace, _maxOutbound);
            }
            // Let go of the caller's memory before the answer leaves: a caller that has its answer may rely on
            // the server no longer mapping its regions (on a fast transport it reads the answer before this
            // thread would otherwise get to the release).
            call.ReleaseRegions();
            try
            {
                if (onConnectionThread && Volatile.Read(ref _completingElsewhere) == 0)
                {
                    _channel.SendAsOnlySender(call.Response.Complete()); // no other thread can be sending
                }
                else
                {
                    _channel.Send(call.Response.Complete());
                }
            }
            catch (IpcDisconnectedException)
            {
                // The client is gone; the receive loop tears the connection down.
            }
        }
        finally
        {
            Return(call, onConnectionThread);
        }
    }

    /// <summary>Rents a call; only the connection thread rents.</summary>
    private IpcServerCall Rent()
    {
        if (_ownSpare is { } own)
        {
            _ownSpare = null;
            return own;
        }
        if (Interlocked.Exchange(ref _spareCall, null) is { } spare)
        {
            return spare;
        }
        lock (_pool)
        {
            if (_pool.TryPop(out IpcServerCall? call))
            {
                return call;
            }
        }
        return new IpcServerCall();
    }

    private void Return(IpcServerCall call, bool onConnectionThread)
    {
        call.Reset();
        if (onConnectionThread && _ownSpare is null)
        {
            _ownSpare = call; // a call answered synchronously comes back to the thread that rents: no atomic
            return;
        }
        if (Interlocked.CompareExchange(ref _spareCall, call, null) is null)
        {
            return;
        }
        lock (_pool)
        {
            if (_pool.Count < MaxPooledCalls)
            {
                _pool.Push(call);
                return;
            }
        }
        call.Release();
    }

    private void Teardown(string reason)
    {
        _closing = true;
        IpcServerCall[] inFlight;
        lock (_inFlight)
        {
            inFlight = _inFlight.Values.ToArray();
        }
        foreach (IpcServerCall call in inFlight)
        {
            call.Cancel();
        }
        _channel.Dispose();
        _controlWriter.Release();
        _server.Remove(this);
        Log.ConnectionClosed(_server.Logger, _id, reason);
    }
}
