using System.Buffers.Binary;
using IpcGen.Protocol;

namespace IpcGen.Transports.Queues;

/// <summary>What one queue message carries (byte 4 of its 8-byte header).</summary>
internal enum QueueMessageKind : byte
{
    /// <summary>A complete frame (header and payload) that fits in one message.</summary>
    Whole = 1,

    /// <summary>The first piece of a frame too large for one message; starts with the frame header.</summary>
    Begin = 2,

    /// <summary>A middle piece of a fragmented frame.</summary>
    Continue = 3,

    /// <summary>The last piece of a fragmented frame.</summary>
    End = 4,

    /// <summary>A client asks for a connection: <c>i32 pid | u32 sequence</c>. Connection field 0.</summary>
    Connect = 5,

    /// <summary>The server took the connection: <c>i32 server pid</c>; the connection field holds the id it chose.</summary>
    Accept = 6,

    /// <summary>The sender closes its side: the receiver sees end of stream. No body.</summary>
    Bye = 7,
}

/// <summary>
/// The envelope every message of the message-queue transports travels in, POSIX or System V:
/// <c>u32 connection | u8 kind | u8 0 | u16 0</c>, then the body. A queue shared by several clients is
/// demultiplexed by the connection field; frames larger than one message are cut into
/// <see cref="QueueMessageKind.Begin"/>/<see cref="QueueMessageKind.Continue"/>/<see cref="QueueMessageKind.End"/>
/// pieces and put together again by <see cref="FrameReassembler"/>.
/// </summary>
internal static class QueueMessage
{
    public const int HeaderSize = 8;
    public const int ConnectBodySize = 8;
    public const int AcceptBodySize = 4;

    public static void WriteHeader(Span<byte> message, uint connection, QueueMessageKind kind)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(message, connection);
        message[4] = (byte)kind;
        message[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(message.Slice(6), 0);
    }

    /// <summary>Reads and checks an envelope; false for a message too short or with an unknown kind or nonzero padding.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> message, out uint connection, out QueueMessageKind kind)
    {
        connection = 0;
        kind = 0;
        if (message.Length < HeaderSize)
        {
            return false;
        }
        connection = BinaryPrimitives.ReadUInt32LittleEndian(message);
        byte k = message[4];
        if (k is < (byte)QueueMessageKind.Whole or > (byte)QueueMessageKind.Bye || message[5] != 0 || BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(6)) != 0)
        {
            return false;
        }
        kind = (QueueMessageKind)k;
        return true;
    }

    public static int WriteConnect(Span<byte> message, int pid, uint sequence)
    {
        WriteHeader(message, 0, QueueMessageKind.Connect);
        BinaryPrimitives.WriteInt32LittleEndian(message.Slice(HeaderSize), pid);
        BinaryPrimitives.WriteUInt32LittleEndian(message.Slice(HeaderSize + 4), sequence);
        return HeaderSize + ConnectBodySize;
    }

    public static bool TryReadConnect(ReadOnlySpan<byte> body, out int pid, out uint sequence)
    {
        pid = 0;
        sequence = 0;
        if (body.Length != ConnectBodySize)
        {
            return false;
        }
        pid = BinaryPrimitives.ReadInt32LittleEndian(body);
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(body.Slice(4));
        return pid > 0;
    }

    public static int WriteAccept(Span<byte> message, uint connection, int serverPid)
    {
        WriteHeader(message, connection, QueueMessageKind.Accept);
        BinaryPrimitives.WriteInt32LittleEndian(message.Slice(HeaderSize), serverPid);
        return HeaderSize + AcceptBodySize;
    }

    public static bool TryReadAccept(ReadOnlySpan<byte> body, out int serverPid)
    {
        serverPid = body.Length == AcceptBodySize ? BinaryPrimitives.ReadInt32LittleEndian(body) : 0;
        return serverPid > 0;
    }

    /// <summary>
    /// The queue priority a frame's message travels at: the frame's own (<see cref="IpcPriorityAttribute"/>)
    /// when it fits in one message, else 0 — pieces of one frame must never be overtaken by pieces of another.
    /// </summary>
    public static uint PriorityOf(ReadOnlySpan<byte> frame, QueueMessageKind kind)
        => kind == QueueMessageKind.Whole ? FrameHeader.PriorityOf(frame) : 0u;
}

/// <summary>
/// Cuts a frame into message bodies of at most <c>maxBody</c> bytes, in order:
/// one <see cref="QueueMessageKind.Whole"/>, or Begin, Continue…, End. Allocation-free.
/// </summary>
internal ref struct FrameFragments
{
    private readonly ReadOnlySpan<byte> _frame;
    private readonly int _maxBody;
    private int _offset;

    public FrameFragments(ReadOnlySpan<byte> frame, int maxBody)
    {
        if (maxBody < FrameHeader.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBody), maxBody, "A message must hold at least a frame header.");
        }
        _frame = frame;
        _maxBody = maxBody;
        _offset = 0;
        Kind = 0;
        Body = default;
    }

    public QueueMessageKind Kind { get; private set; }

    public ReadOnlySpan<byte> Body { get; private set; }

    public bool MoveNext()
    {
        if (_offset >= _frame.Length)
        {
            return false;
        }
        int length = Math.Min(_maxBody, _frame.Length - _offset);
        bool first = _offset == 0;
        bool last = _offset + length == _frame.Length;
        Kind = (first, last) switch
        {
            (true, true) => QueueMessageKind.Whole,
            (true, false) => QueueMessageKind.Begin,
            (false, false) => QueueMessageKind.Continue,
            _ => QueueMessageKind.End,
        };
        Body = _frame.Slice(_offset, length);
        _offset += length;
        return true;
    }

    public FrameFragments GetEnumerator() => this;
}
