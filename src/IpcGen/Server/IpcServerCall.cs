using System.ComponentModel;
using IpcGen.Protocol;
using MessagePack;
using Microsoft.Win32.SafeHandles;

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
    private SafeFileHandle?[]? _descriptors; // received with the request, not yet turned into regions
    private int _descriptorCount;
    private IDisposable?[]? _regions;        // regions mapped for this call, unmapped when it is over
    private int _regionCount;

    internal uint CallId;
    internal bool IsOneWay;
    internal byte Priority;
    internal bool ArgumentsEnded;
    internal bool ArgumentUnavailable;

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

    /// <summary>
    /// Reads the next shared region argument and maps it: from the descriptor that came with the request, or
    /// by name. The region belongs to the call: it is unmapped once the service method has returned (its task
    /// included), so a service that keeps using the memory opens its own with <see cref="SharedRegion{T}.Open"/>.
    /// A region that does not exist or has another layout fails the call with the reason, as the service would.
    /// </summary>
    public SharedRegion<T> ReadRegion<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(SharedLayout.Fields)] T>() where T : unmanaged
    {
        byte index = Request.ReadUnmanaged<byte>();
        string? name = Request.ReadMessagePack<string?>(_serializerOptions);
        if (name is null)
        {
            throw ThrowHelper.Protocol("a shared region argument has no name");
        }
        SharedRegion<T> region;
        if (index != IpcClientCall.ByName && (index >= _descriptorCount || _descriptors![index] is null))
        {
            throw ThrowHelper.Protocol($"a shared region argument names descriptor {index}, which the request did not carry (or another argument used)");
        }
        try
        {
            if (index == IpcClientCall.ByName)
            {
                region = SharedRegion<T>.Open(name);
            }
            else
            {
                SafeFileHandle file = _descriptors![index]!;
                _descriptors[index] = null;
                region = SharedRegion<T>.FromDescriptor(file, name);
            }
        }
        catch (Exception ex) when (ex is not IpcProtocolException)
        {
            // Well-formed, but the region cannot be had (gone, another layout): the call fails, not the connection.
            ArgumentUnavailable = true;
            throw;
        }
        _regions ??= new IDisposable?[FrameHeader.MaxDescriptors + 1];
        if (_regionCount == _regions.Length)
        {
            Array.Resize(ref _regions, _regions.Length * 2);
        }
        _regions[_regionCount++] = region;
        return region;
    }

    internal void AddReceivedDescriptor(SafeFileHandle descriptor)
    {
        _descriptors ??= new SafeFileHandle?[FrameHeader.MaxDescriptors];
        _descriptors[_descriptorCount++] = descriptor;
    }

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

    /// <summary>
    /// Starts serving a request. With <paramref name="inPlace"/> the arguments are read where the transport
    /// received them, not copied (see <see cref="EndDispatch"/>): only for native memory that does not move
    /// and stays valid until the dispatcher returns (<see cref="Transports.FrameChannel.ReceivedInPlace"/>), never
    /// for a managed buffer, which the garbage collector may move once the <c>fixed</c> block below ends.
    /// </summary>
    internal unsafe void Start(in FrameHeader header, ReadOnlySpan<byte> payload, bool inPlace, int maxResponse, MessagePackSerializerOptions serializerOptions)
    {
        MethodId = header.MethodId;
        CallId = header.CallId;
        IsOneWay = header.Kind == FrameKind.OneWay;
        Priority = header.Priority;
        ArgumentsEnded = false;
        _serializerOptions = serializerOptions;
        if (inPlace)
        {
            fixed (byte* arguments = payload)
            {
                Request.Borrow(arguments, payload.Length); // native memory: the pointer outlives the fixed block
            }
        }
        else
        {
            Request.Set(payload);
        }
        Response.Reset(FrameKind.Response, header.MethodId, header.CallId, maxResponse, Priority); // the answer travels at the request's priority
    }

    /// <summary>
    /// The dispatcher has returned: arguments borrowed in place are read by now (generated dispatchers read
    /// them all before the first await), and the memory goes back to the transport. A late read fails as truncated.
    /// </summary>
    internal void EndDispatch()
    {
        if (Request.IsBorrowed)
        {
            Request.Clear();
        }
    }

    internal void Cancel()
    {
        // Callbacks run on the thread pool, not on the connection's receive thread.
        _ = _cancellation?.CancelAsync();
    }

    /// <summary>Prepares the call for reuse; a cancellation source that fired is replaced, not reset.</summary>
    internal void Reset()
    {
        ReleaseRegions();
        ArgumentUnavailable = false;
        if (_cancellation is not null && !_cancellation.TryReset())
        {
            _cancellation.Dispose();
            _cancellation = null;
        }
        Request.Clear();
    }

    /// <summary>Unmaps the call's shared regions and closes its received descriptors (again on reuse: idempotent).</summary>
    internal void ReleaseRegions()
    {
        for (int i = 0; i < _descriptorCount; i++)
        {
            _descriptors![i]?.Dispose();
            _descriptors[i] = null;
        }
        _descriptorCount = 0;
        for (int i = 0; i < _regionCount; i++)
        {
            _regions![i]!.Dispose();
            _regions[i] = null;
        }
        _regionCount = 0;
    }

    internal void Release()
    {
        ReleaseRegions();
        _cancellation?.Dispose();
        Request.Release();
        Response.Release();
    }
}
