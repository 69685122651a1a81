using System.Buffers.Binary;
using System.Text;

namespace IpcGen.Protocol;

/// <summary>
/// An Error frame's payload: three strings, each <c>u32 byteLength | UTF-8 bytes</c>: the exception
/// type's full name, its message, and the remote stack trace (length 0 when the server withholds it).
/// </summary>
internal static class ErrorPayload
{
    public const int MaxStringBytes = 64 * 1024;

    /// <summary>Writes the exception; each string is cut to a third of <paramref name="maxPayload"/>, the most the peer accepts.</summary>
    public static void Write(FrameWriter writer, Exception exception, bool includeStackTrace, int maxPayload)
    {
        int limit = Math.Clamp((maxPayload - 12) / 3, 0, MaxStringBytes);
        WriteString(writer, exception.GetType().FullName ?? exception.GetType().Name, limit);
        WriteString(writer, exception.Message, limit);
        WriteString(writer, includeStackTrace ? exception.StackTrace ?? string.Empty : string.Empty, limit);
    }

    public static IpcRemoteException Read(ReadOnlySpan<byte> payload)
    {
        string type = ReadString(ref payload);
        string message = ReadString(ref payload);
        string stack = ReadString(ref payload);
        if (!payload.IsEmpty)
        {
            throw ThrowHelper.Protocol("error frame has trailing bytes");
        }
        return new IpcRemoteException(type, message, stack.Length == 0 ? null : stack);
    }

    private static void WriteString(FrameWriter writer, string value, int limit)
    {
        // Cut a long string so the frame stays within what the peer accepts: a UTF-16 char is at most
        // 3 UTF-8 bytes (a surrogate pair, 2 chars, is 4), so limit / 3 chars always fit.
        if (Encoding.UTF8.GetByteCount(value) > limit)
        {
            int keep = limit / 3;
            if (keep > 0 && char.IsHighSurrogate(value[keep - 1]))
            {
                keep--;
            }
            value = value.Substring(0, keep);
        }
        int byteCount = Encoding.UTF8.GetByteCount(value);
        Span<byte> span = writer.GetSpan(4 + byteCount);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)byteCount);
        Encoding.UTF8.GetBytes(value, span.Slice(4));
        writer.Advance(4 + byteCount);
    }

    private static string ReadString(ref ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 4)
        {
            throw ThrowHelper.Protocol("error frame is truncated");
        }
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (length > MaxStringBytes || length > (uint)(payload.Length - 4))
        {
            throw ThrowHelper.Protocol("error frame string length is out of range");
        }
        string value = Handshake.DecodeUtf8(payload.Slice(4, (int)length));
        payload = payload.Slice(4 + (int)length);
        return value;
    }
}
