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

    public static void Write(FrameWriter writer, Exception exception, bool includeStackTrace)
    {
        WriteString(writer, exception.GetType().FullName ?? exception.GetType().Name);
        WriteString(writer, exception.Message);
        WriteString(writer, includeStackTrace ? exception.StackTrace ?? string.Empty : string.Empty);
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

    private static void WriteString(FrameWriter writer, string value)
    {
        // Truncate by characters until the UTF-8 form fits: a huge message must not make the frame illegal.
        if (Encoding.UTF8.GetByteCount(value) > MaxStringBytes)
        {
            value = value.Substring(0, MaxStringBytes / 4);
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
