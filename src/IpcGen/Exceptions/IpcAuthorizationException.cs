namespace IpcGen;

/// <summary>The server's authorization policy refused this process (by its uid or gid).</summary>
public sealed class IpcAuthorizationException : IpcException
{
    /// <summary>Creates the exception with a message.</summary>
    public IpcAuthorizationException(string message) : base(message) { }
}
