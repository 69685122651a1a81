namespace IpcGen;

/// <summary>The Linux IPC mechanism a contract's calls travel over.</summary>
public enum IpcTransport
{
    /// <summary>
    /// An <c>AF_UNIX</c> stream socket in the runtime directory. Peer credentials come from
    /// <c>SO_PEERCRED</c>; end of stream means the peer is gone.
    /// </summary>
    UnixSocket = 1,

    /// <summary>
    /// Named FIFOs in the runtime directory: a well-known connect FIFO and a request/response FIFO pair per
    /// client. End of file or <c>EPIPE</c> means the peer is gone.
    /// </summary>
    Pipe = 5,
}
