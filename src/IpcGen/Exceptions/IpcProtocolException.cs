namespace IpcGen;

/// <summary>
/// A peer sent bytes that break the IpcGen protocol: a malformed frame, an unknown kind or method,
/// a length over the maximum message size, arguments that do not decode. The connection is closed.
/// </summary>
public sealed class IpcProtocolException : IpcException
{
    /// <summary>Creates the exception with a message.</summary>
    public IpcProtocolException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public IpcProtocolException(string message, Exception? innerException) : base(message, innerException) { }
}
