namespace IpcGen;

/// <summary>
/// A connect or a call did not complete within its timeout. For a call, the server was sent a cancel
/// frame, so the service's cancellation token for that call is cancelled too.
/// </summary>
public sealed class IpcTimeoutException : IpcException
{
    /// <summary>Creates the exception with a message.</summary>
    public IpcTimeoutException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public IpcTimeoutException(string message, Exception? innerException) : base(message, innerException) { }
}
