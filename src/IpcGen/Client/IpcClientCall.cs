using System.ComponentModel;
using System.Threading.Tasks.Sources;
using IpcGen.Protocol;

namespace IpcGen.Runtime;

/// <summary>
/// One call in flight on an <see cref="IpcClient"/>: the request frame being built, then the response
/// received for it. Pooled by the client and reused, so a steady stream of calls allocates nothing.
/// Generated proxies write arguments, invoke, read the result and end the call; application code
/// does not use this type.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class IpcClientCall : IValueTaskSource
{
    private readonly IpcClient _client;
    internal readonly FrameWriter Request = new();
    internal readonly PayloadBuffer Response = new();

    // Completion for async calls. A mutable struct on purpose: it is the call's own state and must not be copied.
    private ManualResetValueTaskSourceCore<bool> _asyncCompletion;
    private readonly CallWaiter _syncCompletion = new();
    private CancellationTokenRegistration _cancellation;
    private CancellationToken _cancellationToken;
    private Timer? _timer;
    private long _deadlineTimestamp;

    internal uint CallId;
    private bool _isAsync;
    private Exception? _failure;

    internal IpcClient Client => _client;

    internal IpcClientCall(IpcClient client)
    {
        _client = client;
        _asyncCompletion.RunContinuationsAsynchronously = true;
    }

    /// <summary>Appends an unmanaged argument as its raw bytes.</summary>
    public void WriteUnmanaged<T>(T value) where T : unmanaged => Request.WriteUnmanaged(value);

    /// <summary>Appends a nullable unmanaged argument: a presence byte, then the raw value if present.</summary>
    public void WriteNullable<T>(T? value) where T : unmanaged => Request.WriteNullable(value);

    /// <summary>Appends an argument in MessagePack.</summary>
    public void WriteMessagePack<T>(T value) => Request.WriteMessagePack(value, _client.SerializerOptions);

    /// <summary>
    /// Appends a shared region argument: on a transport that can pass descriptors (Unix socket) its open file
    /// travels with the request and the server maps the very same memory even if the name is gone; elsewhere
    /// the server opens it by name. Encoding: <c>u8 descriptor index (0xFF: by name)</c>, then the name in MessagePack.
    /// </summary>
    public void WriteRegion<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(SharedLayout.Fields)] T>(SharedRegion<T> region) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(region);
        byte index = _client.CanPassDescriptors ? (byte)Request.AttachDescriptor(region.FileHandle) : ByName;
        Request.WriteUnmanaged(index);
        Request.WriteMessagePack(region.Name, _client.SerializerOptions);
    }

    internal const byte ByName = 0xFF;

    /// <summary>Reads the next unmanaged value of the response.</summary>
    public T ReadUnmanaged<T>() where T : unmanaged => Response.ReadUnmanaged<T>();

    /// <summary>Reads the next nullable unmanaged value of the response.</summary>
    public T? ReadNullable<T>() where T : unmanaged => Response.ReadNullable<T>();

    /// <summary>Reads the next MessagePack value of the response.</summary>
    public T ReadMessagePack<T>() => Response.ReadMessagePack<T>(_client.SerializerOptions);

    internal void Start(uint methodId, uint callId, int maxPayload, byte priority)
    {
        CallId = callId;
        _failure = null;
        Request.Reset(FrameKind.Request, methodId, callId, maxPayload, priority);
        Response.Clear();
    }

    internal void PrepareSync()
    {
        _isAsync = false;
        _syncCompletion.Reset();
    }

    internal void PrepareAsync()
    {
        _isAsync = true;
        _asyncCompletion.Reset();
    }

    internal CallWaiter SyncCompletion => _syncCompletion;

    internal bool IsSyncCompleted => _syncCompletion.IsSet;

    internal short Version => _asyncCompletion.Version;

    /// <summary>
    /// Called by the receive loop (the call is already out of the pending table). <paramref name="byItsCaller"/>:
    /// the thread reading is the one that made this synchronous call, so nobody sleeps on it.
    /// </summary>
    internal void Complete(FrameKind kind, ReadOnlySpan<byte> payload, bool byItsCaller = false)
    {
        if (kind == FrameKind.Response)
        {
            Response.Set(payload);
        }
        else
        {
            try
            {
                _failure = ErrorPayload.Read(payload);
            }
            catch (IpcProtocolException ex)
            {
                _failure = ex;
            }
        }
        if (byItsCaller)
        {
            _syncCompletion.SetByWaiter();
        }
        else
        {
            Signal();
        }
    }

    /// <summary>Fails the call (disconnect, timeout, cancellation); the call is out of the pending table.</summary>
    internal void Fail(Exception failure)
    {
        _failure = failure;
        Signal();
    }

    private void Signal()
    {
        if (_isAsync)
        {
            _asyncCompletion.SetResult(true);
        }
        else
        {
            _syncCompletion.Set();
        }
    }

    internal void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            _failure = null;
            throw failure is IpcDisconnectedException disconnected
                // A fresh instance per call, so each caller's stack trace is its own.
                ? new IpcDisconnectedException(disconnected.Message, disconnected.InnerException)
                : failure;
        }
    }

    internal void WatchAsync(CancellationToken cancellationToken, TimeSpan timeout)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellationToken = cancellationToken;
            _cancellation = cancellationToken.UnsafeRegister(static state => ((IpcClientCall)state!).OnCanceled(), this);
        }
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _deadlineTimestamp = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            _timer ??= new Timer(static state => ((IpcClientCall)state!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnCanceled()
    {
        uint callId = CallId;
        if (_client.TryAbandon(this, callId))
        {
            Fail(new OperationCanceledException(_cancellationToken));
        }
    }

    private void OnTimer()
    {
        // A late tick from an earlier use of this pooled call finds its deadline moved on and does nothing.
        if (Environment.TickCount64 < Volatile.Read(ref _deadlineTimestamp))
        {
            return;
        }
        uint callId = CallId;
        if (_client.TryAbandon(this, callId))
        {
            Fail(_client.TimeoutFailure());
        }
    }

    private void StopWatching()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _cancellation.Dispose();
            _cancellation = default;
            _cancellationToken = default;
        }
        if (_deadlineTimestamp != 0)
        {
            Volatile.Write(ref _deadlineTimestamp, long.MaxValue);
            _timer!.Change(Timeout.Infinite, Timeout.Infinite);
            _deadlineTimestamp = 0;
        }
    }

    internal void Release()
    {
        _timer?.Dispose();
        Request.Release();
        Response.Release();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _asyncCompletion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _asyncCompletion.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.GetResult(short token)
    {
        _asyncCompletion.GetResult(token);
        StopWatching();
        ThrowIfFailed();
    }
}
