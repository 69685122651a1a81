using System.Buffers;
using System.Runtime.CompilerServices;
using MessagePack;

namespace IpcGen.Protocol;

/// <summary>
/// A received payload, copied out of the transport's receive buffer so that the call owning it can
/// outlive the next frame, and read front to back. Every read is bounds-checked against the length
/// received, and a value that does not decode is a protocol error, never an out-of-range read.
/// </summary>
internal sealed class PayloadBuffer
{
    private byte[] _buffer = Array.Empty<byte>();
    private int _length;
    private int _position;

    public void Set(ReadOnlySpan<byte> payload)
    {
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
        T value = Unsafe.ReadUnaligned<T>(ref _buffer[_position]);
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
        var reader = new MessagePackReader(new ReadOnlyMemory<byte>(_buffer, _position, _length - _position));
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
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = Array.Empty<byte>();
        _length = 0;
        _position = 0;
    }
}
