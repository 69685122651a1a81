using System.Buffers.Binary;

namespace IpcGen.Protocol;

/// <summary>
/// The fixed 16-byte header in front of every frame, little-endian:
/// <c>u32 payloadLength | u8 kind | u8 flags | u16 reserved (0) | u32 methodId | u32 callId</c>.
/// </summary>
internal readonly struct FrameHeader
{
    public const int Size = 16;

    /// <summary>The bits of <c>flags</c> that carry a call's priority (0–31); the others are reserved.</summary>
    public const byte PriorityMask = 0x1F;

    /// <summary>Bits 5–7 of <c>flags</c>: how many file descriptors travel with the frame (Unix socket only).</summary>
    public const int DescriptorCountShift = 5;

    /// <summary>The most descriptors one frame can carry.</summary>
    public const int MaxDescriptors = 7;

    public FrameHeader(uint payloadLength, FrameKind kind, byte flags, uint methodId, uint callId)
    {
        PayloadLength = payloadLength;
        Kind = kind;
        Flags = flags;
        MethodId = methodId;
        CallId = callId;
    }

    public uint PayloadLength { get; }
    public FrameKind Kind { get; }
    public byte Flags { get; }
    public uint MethodId { get; }
    public uint CallId { get; }

    /// <summary>The call's priority, 0 (bulk) to 31, from the low bits of <see cref="Flags"/>.</summary>
    public byte Priority => (byte)(Flags & PriorityMask);

    /// <summary>The priority of a complete frame, read from its header without validating the rest.</summary>
    public static byte PriorityOf(ReadOnlySpan<byte> frame) => (byte)(frame[5] & PriorityMask);

    /// <summary>How many descriptors (SCM_RIGHTS) the sender attached to this frame, from the high bits of <see cref="Flags"/>.</summary>
    public int DescriptorCount => Flags >> DescriptorCountShift;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, PayloadLength);
        destination[4] = (byte)Kind;
        destination[5] = Flags;
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(6), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), MethodId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(12), CallId);
    }

    /// <summary>
    /// Reads and validates a header: the length against <paramref name="maxPayloadLength"/>, the kind
    /// against the known kinds, the reserved field against zero. Each byte is read once.
    /// </summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source, int maxPayloadLength)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(source);
        byte kind = source[4];
        byte flags = source[5];
        ushort reserved = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(6));
        uint methodId = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(8));
        uint callId = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(12));

        if (length > (uint)maxPayloadLength)
        {
            throw ThrowHelper.Protocol($"frame payload of {length} bytes exceeds MaxMessageSize ({maxPayloadLength} bytes)");
        }
        if (kind is < (byte)FrameKind.Handshake or > (byte)FrameKind.Close)
        {
            throw ThrowHelper.Protocol($"unknown frame kind {kind}");
        }
        if (reserved != 0)
        {
            throw ThrowHelper.Protocol($"reserved header field is {reserved}, not 0");
        }
        return new FrameHeader(length, (FrameKind)kind, flags, methodId, callId);
    }
}
