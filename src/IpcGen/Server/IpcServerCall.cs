using System.ComponentModel;
using IpcGen.Protocol;
using MessagePack;

namespace IpcGen.Runtime;

/// <summary>
/// One request being served: its arguments, then the response being built. Pooled per connection.
/// Generated dispatchers read arguments, call <see cref="EndArguments"/>, invoke the service and
/// write the result; application code does not use this type.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class IpcServerCall
{
    internal readonly PayloadBuffer Request = new();
    internal readonly FrameWriter Response = new();
    private MessagePackSerializerOptions _serializerOptions = IpcDefaults.SerializerOptions;
    private CancellationTokenSource? _cancellation;

    internal uint CallId;
    internal bool IsOneWay;
    internal byte Priority;
    internal bool ArgumentsEnded;

    /// <summary>The id of the method called.</summary>
    public uint MethodId { get; private set; }

    /// <summary>
    /// Cancelled when the client cancels the call, its deadline passes, or the connection is lost.
    /// </summary>
    public CancellationToken CancellationToken => (_cancellation ??= new CancellationTokenSource()).Token;

    /// <summary>Reads the next unmanaged argument.</summary>
    public T ReadUnmanaged<T>() where T : unmanaged => Request.ReadUnmanaged<T>();

    /// <summary>Reads the next nullable unmanaged argument.</summary>
    public T? ReadNullable<T>() where T : unmanaged => Request.ReadNullable<T>();

    /// <summary>Reads the next MessagePack argument.</summary>
    public T ReadMessagePack<T>() => Request.ReadMessagePack<T>(_serializerOptions);

    /// <summary>Marks the arguments as read; leftover bytes make the request malformed.</summary>
    public void EndArguments()
    {
        Request.EnsureFullyRead();
        ArgumentsEnded = true;
    }

    /// <summary>Appends an unmanaged value to the result.</summary>
    public void WriteUnmanaged<T>(T value) where T : unmanaged => Response.WriteUnmanaged(value);

    /// <summary>Appends a nullable unmanaged value to the result.</summary>
    public void WriteNullable<T>(T? value) where T : unmanaged => Response.WriteNullable(value);

    /// <summary>Appends a MessagePack value to the result.</summary>
    public void WriteMessagePack<T>(T value) => Response.WriteMessagePack(value, _serializerOptions);

    /// <summary>The exception a dispatcher throws for a method id the contract does not have.</summary>
    public Exception UnknownMethod() => new IpcProtocolException($"unknown method id 0x{MethodId:X8}");

    internal void Start(in FrameHeader header, ReadOnlySpan<byte> payload, int maxResponse, MessagePackSerializerOptions serializerOptions)
    {
        MethodId = header.MethodId;
        CallId = header.CallId;
        IsOneWay = header.Kind == FrameKind.OneWay;
        Priority = header.Priority;
        ArgumentsEnded = false;
        _serializerOptions = serializerOptions;
        Request.Set(payload);
        Response.Reset(FrameKind.Response, header.MethodId, header.CallId, maxResponse, Priority); // the answer travels at the request's priority
    }

    internal void Cancel()
    {
        // Callbacks run on the thread pool, not on the connection's receive thread.
        _ = _cancellation?.CancelAsync();
    }

    /// <summary>Prepares the call for reuse; a cancellation source that fired is replaced, not reset.</summary>
    internal void Reset()
    {
        if (_cancellation is not null && !_cancellation.TryReset())
        {
            _cancellation.Dispose();
            _cancellation = null;
        }
        Request.Clear();
    }

    internal void Release()
    {
        _cancellation?.Dispose();
        Request.Release();
        Response.Release();
    }
}
