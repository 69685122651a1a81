using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;

namespace IpcGen.Protocol;

/// <summary>
/// Builds one frame in a reusable pooled buffer: the header is reserved at the front, arguments or
/// results are appended, <see cref="Complete"/> fills in the header. Implements
/// <see cref="IBufferWriter{T}"/> so MessagePack writes straight into it. A frame is built here and
/// copied to the transport whole, also on shared memory: a ring line the reader is polling must be
/// written in one burst (docs/transports.md, SharedMemory, "Received in place, written in one burst"). Not thread-safe: one frame at a time,
/// owned by one call.
/// </summary>
internal sealed class FrameWriter : IBufferWriter<byte>
{
    private const int InitialSize = 256;

    private byte[] _buffer;
    private int _written;
    private int _maxPayload;
    private FrameKind _kind;
    private byte _flags;
    private SafeHandle[]? _descriptors;
    private int _descriptorCount;
    private uint _methodId;
    private uint _callId;

    public FrameWriter()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
        _written = FrameHeader.Size;
        _maxPayload = int.MaxValue;
    }

    public int PayloadLength => _written - FrameHeader.Size;

    public void Reset(FrameKind kind, uint methodId, uint callId, int maxPayload, byte flags = 0)
    {
        ReleaseDescriptors();
        _kind = kind;
        _flags = flags;
        _methodId = methodId;
        _callId = callId;
        _maxPayload = maxPayload;
        _written = FrameHeader.Size;
    }

    public void SetKind(FrameKind kind) => _kind = kind;

    /// <summary>Sets the call id once the call is registered; the payload written so far stays.</summary>
    public void SetCallId(uint callId) => _callId = callId;

    /// <summary>Writes the header and returns the whole frame.</summary>
    public ReadOnlySpan<byte> Complete()
    {
        byte flags = (byte)((_flags & FrameHeader.PriorityMask) | (_descriptorCount << FrameHeader.DescriptorCountShift));
        new FrameHeader((uint)PayloadLength, _kind, flags, _methodId, _callId).Write(_buffer);
        return _buffer.AsSpan(0, _written);
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        _written += count;
        if (_written - FrameHeader.Size > _maxPayload)
        {
            ThrowHelper.ThrowTooLarge(_written - FrameHeader.Size, _maxPayload);
        }
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _buffer.AsSpan(_written);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUnmanaged<T>(T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        EnsureCapacity(size);
        Unsafe.WriteUnaligned(ref _buffer[_written], value);
        Advance(size);
    }

    /// <summary>A presence byte (0 or 1), then the raw value when present.</summary>
    public void WriteNullable<T>(T? value) where T : unmanaged
    {
        if (value.HasValue)
        {
            WriteUnmanaged<byte>(1);
            WriteUnmanaged(value.GetValueOrDefault());
        }
        else
        {
            WriteUnmanaged<byte>(0);
        }
    }

    public void WriteMessagePack<T>(T value, MessagePackSerializerOptions options)
    {
        var writer = new MessagePackWriter(this);
        MessagePackSerializer.Serialize(ref writer, value, options);
        writer.Flush();
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        EnsureCapacity(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_written));
        Advance(bytes.Length);
    }

    /// <summary>Whether descriptors are attached to the frame being written.</summary>
    public bool HasDescriptors => _descriptorCount != 0;

    /// <summary>The descriptors attached to the frame being written, in index order.</summary>
    public ReadOnlySpan<SafeHandle> Descriptors => _descriptors.AsSpan(0, _descriptorCount);

    /// <summary>
    /// Attaches a descriptor to the frame (sent with SCM_RIGHTS) and returns its index. The handle is kept
    /// alive (AddRef) until <see cref="ReleaseDescriptors"/>, so disposing its owner meanwhile is harmless.
    /// </summary>
    public int AttachDescriptor(SafeHandle descriptor)
    {
        if (_descriptorCount == FrameHeader.MaxDescriptors)
        {
            throw new IpcException($"A call can pass at most {FrameHeader.MaxDescriptors} shared regions by descriptor.");
        }
        _descriptors ??= new SafeHandle[FrameHeader.MaxDescriptors];
        bool added = false;
        descriptor.DangerousAddRef(ref added);
        _descriptors[_descriptorCount] = descriptor;
        return _descriptorCount++;
    }

    /// <summary>Lets go of the attached descriptors (after the frame is sent, or when it is abandoned).</summary>
    public void ReleaseDescriptors()
    {
        for (int i = 0; i < _descriptorCount; i++)
        {
            _descriptors![i].DangerousRelease();
            _descriptors[i] = null!;
        }
        _descriptorCount = 0;
    }

    /// <summary>Gives the pooled buffer back; the writer must not be used afterwards.</summary>
    public void Release()
    {
        ReleaseDescriptors();
        byte[] buffer = _buffer;
        _buffer = Array.Empty<byte>();
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureCapacity(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }
        if (_buffer.Length - _written < sizeHint)
        {
            Grow(sizeHint);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int sizeHint)
    {
        long needed = (long)_written + sizeHint;
        if (needed - FrameHeader.Size > _maxPayload + 4096L)
        {
            // Refuse to grow far past the limit; Advance reports the exact overflow.
            ThrowHelper.ThrowTooLarge(needed - FrameHeader.Size, _maxPayload);
        }
        int newSize = (int)Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Array.MaxLength);
        byte[] bigger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        byte[] old = _buffer;
        _buffer = bigger;
        if (old.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(old);
        }
    }
}
