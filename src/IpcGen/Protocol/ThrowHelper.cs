using System.Diagnostics.CodeAnalysis;

namespace IpcGen.Protocol;

/// <summary>Cold paths that build exceptions, kept out of the hot methods so those stay small.</summary>
internal static class ThrowHelper
{
    public static IpcProtocolException Protocol(string reason) => new(reason);

    [DoesNotReturn]
    public static void ThrowTruncated(int wanted, int remaining)
        => throw new IpcProtocolException($"payload truncated: {wanted} bytes wanted, {remaining} left");

    [DoesNotReturn]
    public static void ThrowTooLarge(long size, int max) => throw new IpcMessageTooLargeException(size, max);
}
