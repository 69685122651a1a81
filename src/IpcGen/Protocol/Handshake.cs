using System.Buffers.Binary;
using System.Text;

namespace IpcGen.Protocol;

/// <summary>
/// The contract identity both sides exchange when a connection opens (docs/protocol.md, "Handshake").
/// Layout, little-endian: <c>u32 magic "IPCG" | u16 version | u16 reserved | u64 fingerprint |
/// u32 maxMessageSize | u16 nameLength | name (UTF-8)</c>.
/// </summary>
internal readonly record struct Handshake(ulong Fingerprint, int MaxMessageSize, string ContractName)
{
    public const uint Magic = 0x47435049; // "IPCG" in little-endian byte order
    public const ushort ProtocolVersion = 1;
    public const int MaxNameBytes = 1024;
    private const int FixedSize = 22;

    public void Write(FrameWriter writer)
    {
        int nameBytes = Encoding.UTF8.GetByteCount(ContractName);
        if (nameBytes > MaxNameBytes)
        {
            throw new ArgumentException($"Contract name is longer than {MaxNameBytes} UTF-8 bytes.");
        }
        Span<byte> span = writer.GetSpan(FixedSize + nameBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(4), ProtocolVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(6), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(span.Slice(8), Fingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(span.Slice(16), MaxMessageSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(20), (ushort)nameBytes);
        Encoding.UTF8.GetBytes(ContractName, span.Slice(FixedSize));
        writer.Advance(FixedSize + nameBytes);
    }

    public static Handshake Read(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < FixedSize)
        {
            throw ThrowHelper.Protocol($"handshake of {payload.Length} bytes is shorter than {FixedSize}");
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(4));
        ulong fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(payload.Slice(8));
        int maxMessageSize = BinaryPrimitives.ReadInt32LittleEndian(payload.Slice(16));
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(20));
        if (magic != Magic)
        {
            throw ThrowHelper.Protocol($"handshake magic 0x{magic:X8} is not 'IPCG'");
        }
        if (version != ProtocolVersion)
        {
            throw ThrowHelper.Protocol($"protocol version {version} is not supported (this side speaks {ProtocolVersion})");
        }
        if (nameLength > MaxNameBytes || payload.Length != FixedSize + nameLength)
        {
            throw ThrowHelper.Protocol("handshake contract name length does not match the frame");
        }
        if (maxMessageSize <= 0)
        {
            throw ThrowHelper.Protocol($"handshake max message size {maxMessageSize} is not positive");
        }
        string name = DecodeUtf8(payload.Slice(FixedSize, nameLength));
        return new Handshake(fingerprint, maxMessageSize, name);
    }

    internal static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new IpcProtocolException("a string is not valid UTF-8", ex);
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

/// <summary>Why a server refused a handshake; the first byte of a HandshakeRefuse payload.</summary>
internal enum RefuseReason : byte
{
    ContractMismatch = 1,
    Unauthorized = 2,
    Malformed = 3,
    ServerFull = 4,
}

/// <summary>
/// HandshakeRefuse payload: <c>u8 reason | u8[3] reserved | then the server's handshake
/// (same layout as <see cref="Handshake"/>)</c>, so a client can name both fingerprints.
/// </summary>
internal static class HandshakeRefusal
{
    public static void Write(FrameWriter writer, RefuseReason reason, in Handshake server)
    {
        Span<byte> span = writer.GetSpan(4);
        span[0] = (byte)reason;
        span[1] = span[2] = span[3] = 0;
        writer.Advance(4);
        server.Write(writer);
    }

    public static (RefuseReason Reason, Handshake Server) Read(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            throw ThrowHelper.Protocol("handshake refusal is truncated");
        }
        var reason = (RefuseReason)payload[0];
        return (reason, Handshake.Read(payload.Slice(4)));
    }
}
