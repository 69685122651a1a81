using System.Buffers;
using System.Buffers.Binary;
using IpcGen.Protocol;

namespace IpcGen.Transports.Queues;

/// <summary>
/// Puts fragmented frames together again, one connection's worth. A whole frame may arrive between the
/// pieces of a fragmented one (it overtook them by priority) and is handed out alone; pieces out of order,
/// a frame longer than announced or longer than the limit are protocol violations. The buffer grows with
/// the frames actually received, never to a size a peer merely announces, and is pooled.
/// </summary>
internal sealed class FrameReassembler : IDisposable
{
    private byte[] _buffer = Array.Empty<byte>();
    private int _expected; // total frame bytes of the frame being assembled; 0 when none
    private int _have;

    /// <summary>True while a fragmented frame is partly received.</summary>
    public bool InProgress => _expected != 0;

    /// <summary>
    /// Takes one message body. Returns true and the complete frame (valid until the next call) when
    /// <paramref name="kind"/> completes one; false when more pieces are needed.
    /// </summary>
    public bool Add(QueueMessageKind kind, ReadOnlySpan<byte> body, int maxPayloadLength, out ReadOnlySpan<byte> frame)
    {
        frame = default;
        switch (kind)
        {
            case QueueMessageKind.Whole:
                frame = body;
                return true;
            case QueueMessageKind.Begin:
                if (InProgress)
                {
                    throw ThrowHelper.Protocol("a fragmented frame began before the previous one ended");
                }
                if (body.Length < FrameHeader.Size)
                {
                    throw ThrowHelper.Protocol("the first piece of a fragmented frame is shorter than a frame header");
                }
                uint payload = BinaryPrimitives.ReadUInt32LittleEndian(body);
                if (payload > (uint)maxPayloadLength)
                {
                    throw ThrowHelper.Protocol($"frame payload of {payload} bytes exceeds MaxMessageSize ({maxPayloadLength} bytes)");
                }
                long total = FrameHeader.Size + (long)payload;
                if (body.Length >= total)
                {
                    throw ThrowHelper.Protocol("a fragmented frame's first piece already holds the whole frame");
                }
                _expected = (int)total;
                _have = 0;
                Append(body);
                return false;
            case QueueMessageKind.Continue:
            case QueueMessageKind.End:
                if (!InProgress)
                {
                    throw ThrowHelper.Protocol($"a {kind} piece arrived with no fragmented frame begun");
                }
                if (body.Length > _expected - _have)
                {
                    throw ThrowHelper.Protocol("a fragmented frame is longer than its header says");
                }
                Append(body);
                bool complete = _have == _expected;
                if (kind == QueueMessageKind.Continue)
                {
                    if (complete)
                    {
                        throw ThrowHelper.Protocol("a fragmented frame's last piece is not marked as the end");
                    }
                    return false;
                }
                if (!complete)
                {
                    throw ThrowHelper.Protocol("a fragmented frame ended short of the length its header says");
                }
                frame = new ReadOnlySpan<byte>(_buffer, 0, _have);
                _expected = 0;
                return true;
            default:
                throw ThrowHelper.Protocol($"unexpected {kind} message inside a connection");
        }
    }

    /// <summary>
    /// <see cref="Add"/>, then, when a frame is complete, its header read against
    /// <paramref name="maxPayloadLength"/> and its length checked against the bytes that arrived, exactly:
    /// a frame split across messages in any other way than this transport's pieces is malformed.
    /// </summary>
    public bool TryAddFrame(QueueMessageKind kind, ReadOnlySpan<byte> body, int maxPayloadLength, out FrameHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        if (!Add(kind, body, maxPayloadLength, out ReadOnlySpan<byte> frame))
        {
            return false;
        }
        if (frame.Length < FrameHeader.Size)
        {
            throw ThrowHelper.Protocol($"a queue message ends in the middle of a frame: {frame.Length} bytes, shorter than a frame header");
        }
        header = FrameHeader.Read(frame, maxPayloadLength);
        long expected = FrameHeader.Size + (long)header.PayloadLength;
        if (frame.Length != expected)
        {
            throw ThrowHelper.Protocol(frame.Length < expected
                ? $"a queue message ends in the middle of a frame ({frame.Length} of {expected} bytes)"
                : $"{frame.Length - expected} bytes follow the frame in its queue message");
        }
        payload = frame.Slice(FrameHeader.Size);
        return true;
    }

    private void Append(ReadOnlySpan<byte> body)
    {
        if (_buffer.Length < _have + body.Length)
        {
            // Grow to what has arrived (doubling), capped by the announced total.
            int size = Math.Min(_expected, Math.Max(_have + body.Length, Math.Max(_buffer.Length * 2, 64 * 1024)));
            byte[] bigger = ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, _have).CopyTo(bigger);
            Return();
            _buffer = bigger;
        }
        body.CopyTo(_buffer.AsSpan(_have));
        _have += body.Length;
    }

    private void Return()
    {
        if (_buffer.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = Array.Empty<byte>();
    }

    public void Dispose()
    {
        _expected = 0;
        _have = 0;
        Return();
    }
}
