using System.Buffers;
using IpcGen.Protocol;

namespace IpcGen.Transports;

/// <summary>
/// Frames over a byte stream (sockets, pipes): reads as much as the kernel has into one buffer and
/// cuts frames out of it, so a burst of small frames costs one read. The header is validated before
/// any payload is buffered, so a hostile length never makes it allocate past the limit.
/// </summary>
internal abstract class StreamFrameChannel : FrameChannel
{
    private const int InitialBufferSize = 64 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _start;   // first unconsumed byte
    private int _end;     // one past the last received byte

    /// <summary>Reads available bytes; returns 0 at end of stream.</summary>
    protected abstract int ReceiveCore(Span<byte> destination);

    public override bool TryReceive(int maxPayloadLength, out FrameHeader header, out ReadOnlySpan<byte> payload)
    {
        if (!Fill(FrameHeader.Size))
        {
            header = default;
            payload = default;
            return false;
        }
        header = FrameHeader.Read(_buffer.AsSpan(_start, FrameHeader.Size), maxPayloadLength);
        int total = FrameHeader.Size + (int)header.PayloadLength;
        if (!Fill(total))
        {
            throw ThrowHelper.Protocol("connection closed in the middle of a frame");
        }
        payload = _buffer.AsSpan(_start + FrameHeader.Size, (int)header.PayloadLength);
        _start += total;
        return true;
    }

    /// <summary>Makes sure <paramref name="count"/> bytes are buffered from <see cref="_start"/>.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }
        if (_start == _end)
        {
            _start = _end = 0;
        }
        if (_buffer.Length - _start < count)
        {
            if (_buffer.Length < count)
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(count);
                _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            else
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            }
            _end -= _start;
            _start = 0;
        }
        while (_end - _start < count)
        {
            int read = ReceiveCore(_buffer.AsSpan(_end));
            if (read <= 0)
            {
                if (_end == _start)
                {
                    return false;
                }
                throw ThrowHelper.Protocol("connection closed in the middle of a frame");
            }
            _end += read;
        }
        return true;
    }
}
