using System.Buffers;
using System.Runtime.CompilerServices;
using MessagePack;

namespace IpcGen.Protocol;

/// <summary>
/// A received payload, read front to back: either copied out of the transport's receive buffer so
/// that the call owning it can outlive the next frame, or borrowed in place from native memory (a
/// shared-memory ring) for as long as the receiver keeps it there. Every read is bounds-checked
/// against the length received, and a value that does not decode is a protocol error, never an
/// out-of-range read. Borrowed bytes may be changed by the peer while we read them: each is read once,
/// so that yields wrong values or a decoding error, never a read outside the payload.
/// </summary>
internal sealed unsafe class PayloadBuffer
{
    private byte[] _buffer = Array.Empty<byte>();
    private byte* _borrowed;
    private NativeMemoryManager? _borrowedMemory;
    private int _length;
    private int _position;

    /// <summary>
    /// Reads <paramref name="length"/> bytes at <paramref name="payload"/> in place, without copying. The
    /// memory must stay mapped until <see cref="Clear"/> or <see cref="Set"/>.
    /// </summary>
    public void Borrow(byte* payload, int length)
    {
        _borrowed = payload;
        _length = length;
        _position = 0;
    }

    /// <summary>Whether the payload is borrowed in place rather than copied.</summary>
    public bool IsBorrowed => _borrowed != null;

    private ref byte Start => ref _borrowed != null ? ref *_borrowed : ref _buffer[0];

    public void Set(ReadOnlySpan<byte> payload)
    {
        _borrowed = null;
        if (_buffer.Length < payload.Length)
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 256));
        }
        payload.CopyTo(_buffer);
        _length = payload.Length;
        _position = 0;
    }

    public void Clear()
    {
        _borrowed = null;
        _length = 0;
        _position = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T ReadUnmanaged<T>() where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (_length - _position < size)
        {
            ThrowHelper.ThrowTruncated(size, _length - _position);
        }
        T value = Unsafe.ReadUnaligned<T>(ref Unsafe.Add(ref Start, _position));
        _position += size;
        return value;
    }

    public T? ReadNullable<T>() where T : unmanaged
    {
        byte present = ReadUnmanaged<byte>();
        return present switch
        {
            0 => null,
            1 => ReadUnmanaged<T>(),
            _ => throw ThrowHelper.Protocol($"nullable presence byte is {present}, not 0 or 1"),
        };
    }

    public T ReadMessagePack<T>(MessagePackSerializerOptions options)
    {
        ReadOnlyMemory<byte> rest;
        if (_borrowed != null)
        {
            // One reusable wrapper per buffer: borrowing allocates nothing per call.
            _borrowedMemory ??= new NativeMemoryManager();
            _borrowedMemory.Point(_borrowed + _position, _length - _position);
            rest = _borrowedMemory.Memory;
        }
        else
        {
            rest = new ReadOnlyMemory<byte>(_buffer, _position, _length - _position);
        }
        var reader = new MessagePackReader(rest);
        T value;
        try
        {
            value = MessagePackSerializer.Deserialize<T>(ref reader, options);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new IpcProtocolException($"a {typeof(T).Name} value does not decode: {ex.Message}", ex);
        }
        _position += checked((int)reader.Consumed);
        return value;
    }

    /// <summary>Checks that the whole payload was consumed: trailing bytes mean a malformed frame.</summary>
    public void EnsureFullyRead()
    {
        if (_position != _length)
        {
            throw ThrowHelper.Protocol($"{_length - _position} unexpected bytes after the last argument");
        }
    }

    public void Release()
    {
        _borrowed = null;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = Array.Empty<byte>();
        _length = 0;
        _position = 0;
    }
}
