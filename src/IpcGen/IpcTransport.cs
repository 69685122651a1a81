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
    /// Two single-producer/single-consumer byte rings per connection in a sealed <c>memfd</c> segment,
    /// handed over a Unix-socket control channel with <c>SCM_RIGHTS</c>. The fastest transport; nothing
    /// is named in <c>/dev/shm</c>, so nothing is left after a crash.
    /// </summary>
    SharedMemory = 2,

    /// <summary>
    /// POSIX message queues (<c>mq_open</c>): one request queue per server, one reply queue per client, both
    /// <c>0600</c> and named with the uid. <see cref="IpcPriorityAttribute"/> maps to the message priority.
    /// Peer death is seen through <c>pidfd_open</c>.
    /// </summary>
    MessageQueue = 3,

    /// <summary>
    /// One System V message queue (<c>msgget</c>) per server, <c>0600</c>, its key derived from the endpoint;
    /// the message type multiplexes requests and each client's replies. Peer death is seen through
    /// <c>pidfd_open</c>; the queue is removed (<c>IPC_RMID</c>) when the server stops.
    /// </summary>
    SystemVMessageQueue = 4,

    /// <summary>
    /// Named FIFOs in the runtime directory: a well-known connect FIFO and a request/response FIFO pair per
    /// client. End of file or <c>EPIPE</c> means the peer is gone.
    /// </summary>
    Pipe = 5,
}
