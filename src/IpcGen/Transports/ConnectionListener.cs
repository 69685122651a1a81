namespace IpcGen.Transports;

/// <summary>A server endpoint that hands out one <see cref="FrameChannel"/> per client.</summary>
internal abstract class ConnectionListener : IDisposable
{
    /// <summary>Where clients reach this listener (a path for file-system endpoints).</summary>
    public abstract string Endpoint { get; }

    /// <summary>Blocks until a client connects; returns null once the listener is disposed.</summary>
    public abstract FrameChannel? Accept();

    /// <summary>Stops accepting and removes every file-system object the listener created.</summary>
    public abstract void Dispose();
}
