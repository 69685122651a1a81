namespace IpcGen;

/// <summary>
/// The connection to the peer is gone (the peer exited, crashed, closed the connection or sent
/// something that broke the protocol). Every call in flight on that connection fails with it.
/// </summary>
public sealed class IpcDisconnectedException : IpcException
{
    /// <summary>Creates the exception with a message.</summary>
    public IpcDisconnectedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public IpcDisconnectedException(string message, Exception? innerException) : base(message, innerException) { }
}
