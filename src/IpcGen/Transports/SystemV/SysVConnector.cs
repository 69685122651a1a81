using System.Diagnostics;
using System.Runtime.InteropServices;
using IpcGen.Transports.Queues;

namespace IpcGen.Transports.SystemV;

/// <summary>
/// Connects to a System V endpoint: finds the server's queue by its key (waiting for a server to create
/// it), checks that our own user owns it, sends a connect request (type 1) naming this process and a
/// connection sequence, and waits for the server's Accept on the connection's reply type. The Accept names
/// the server's pid; the kernel gives its credentials and a pidfd the connection's watcher polls.
/// </summary>
internal static class SysVConnector
{
    // Starts at random: after pid reuse, a new process's first connections then do not land on the
    // connection numbers of a dead namesake whose connections the server has not torn down yet.
    private static int s_sequence = Random.Shared.Next();

    public static async ValueTask<FrameChannel> ConnectAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string path = SysVEndpoint.Path(endpoint, createDirectory: false);
        int key = SysVEndpoint.Key(path);
        var stopwatch = Stopwatch.StartNew();
        bool TimeLeft() => timeout == Timeout.InfiniteTimeSpan || stopwatch.Elapsed < timeout;
        int delayMs = 1;

        int pid = Environment.ProcessId;
        uint sequence = (uint)Interlocked.Increment(ref s_sequence);
        long connection = SysVEndpoint.Connection(pid, sequence);
        int id;
        while (true)
        {
            id = FindQueue(key, path);
            if (id >= 0 && TrySendConnect(id, pid, sequence))
            {
                break;
            }
            if (!TimeLeft())
            {
                throw new IpcTimeoutException($"Could not connect to '{path}' (System V queue key {SysVEndpoint.KeyText(key)}) within {timeout.TotalSeconds:0.###} s: no server serves it. Is the server running?");
            }
            await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
            delayMs = Math.Min(delayMs * 2, 100);
        }

        var queue = new SysVQueue(id, key);
        delayMs = 1;
        while (true)
        {
            switch (TryReadAccept(queue, connection, out int serverPid))
            {
                case AcceptResult.Accepted:
                    if (Interop.Process.Identify(serverPid) is ({ } credentials, { } pidfd))
                    {
                        var watcher = new PeerWatcher("IpcGen System V client watcher");
                        return new SysVChannel(queue, connection, isServer: false, credentials, pidfd, watcher, ownsWatcher: true, SysVListener.DefaultSendStallLimit);
                    }
                    throw new IpcDisconnectedException($"The server at '{path}' (pid {serverPid}) exited while accepting the connection.");
                case AcceptResult.Gone:
                    throw new IpcDisconnectedException($"The server at '{path}' stopped while accepting the connection.");
            }
            if (!TimeLeft())
            {
                // Tell the server, should it accept after all, that nobody will use this connection.
                queue.TrySendControl(SysVEndpoint.RequestType(connection), (uint)connection, QueueMessageKind.Bye, final: true);
                throw new IpcTimeoutException($"The server at '{path}' did not take the connection in time. Is the server running?");
            }
            // The accept thread answers at once: the first waits are short.
            await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
            delayMs = Math.Min(delayMs * 2, 20);
        }
    }

    /// <summary>The queue at <paramref name="key"/>, or -1 if there is none yet. A queue we do not own is an error.</summary>
    private static int FindQueue(int key, string path)
    {
        int id = Interop.SysVMsg.MsgGet(key, 0);
        if (id < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.SysVMsg.ENOENT)
            {
                return -1;
            }
            if (errno == Interop.SysVMsg.EACCES)
            {
                throw new IpcException($"The System V message queue key {SysVEndpoint.KeyText(key)} (derived from '{path}') belongs to another user's queue: this is not our server.");
            }
            throw Interop.LastError("msgget", SysVEndpoint.KeyText(key));
        }
        if (Interop.SysVMsg.Stat(id) is not { } owner)
        {
            return -1; // removed meanwhile: a server stopping or reclaiming
        }
        if (owner.UserId != RuntimeDirectory.CurrentUserId)
        {
            throw new IpcException($"The System V message queue key {SysVEndpoint.KeyText(key)} (derived from '{path}') belongs to uid {owner.UserId}, not to this process's uid {RuntimeDirectory.CurrentUserId}: this is not our server.");
        }
        return id;
    }

    private static unsafe bool TrySendConnect(int id, int pid, uint sequence)
    {
        byte* message = stackalloc byte[Interop.SysVMsg.TypeSize + QueueMessage.HeaderSize + QueueMessage.ConnectBodySize];
        *(long*)message = SysVEndpoint.ConnectType;
        int size = QueueMessage.WriteConnect(new Span<byte>(message + Interop.SysVMsg.TypeSize, QueueMessage.HeaderSize + QueueMessage.ConnectBodySize), pid, sequence);
        while (Interop.SysVMsg.MsgSnd(id, message, (nuint)size, Interop.SysVMsg.IPC_NOWAIT) != 0)
        {
            if (Marshal.GetLastPInvokeError() != Interop.SysVMsg.EINTR)
            {
                return false; // full (try again), or removed (a restarting server: look it up again)
            }
        }
        return true;
    }

    private enum AcceptResult
    {
        NotYet,
        Accepted,
        Gone,
    }

    private static unsafe AcceptResult TryReadAccept(SysVQueue queue, long connection, out int serverPid)
    {
        serverPid = 0;
        const int size = QueueMessage.HeaderSize + QueueMessage.AcceptBodySize;
        byte* message = stackalloc byte[Interop.SysVMsg.TypeSize + size];
        while (true)
        {
            nint read = Interop.SysVMsg.MsgRcv(queue.Id, message, size, SysVEndpoint.ReplyType(connection), Interop.SysVMsg.IPC_NOWAIT | Interop.SysVMsg.MSG_NOERROR);
            if (read >= 0)
            {
                var body = new ReadOnlySpan<byte>(message + Interop.SysVMsg.TypeSize, (int)read);
                if (!QueueMessage.TryReadHeader(body, out uint id, out QueueMessageKind kind) || kind != QueueMessageKind.Accept || id != (uint)connection
                    || !QueueMessage.TryReadAccept(body.Slice(QueueMessage.HeaderSize), out serverPid))
                {
                    throw new IpcProtocolException("the server's accept message is malformed");
                }
                return AcceptResult.Accepted;
            }
            switch (Marshal.GetLastPInvokeError())
            {
                case Interop.SysVMsg.EINTR:
                    continue;
                case Interop.SysVMsg.ENOMSG:
                    return AcceptResult.NotYet;
                default:
                    return AcceptResult.Gone;
            }
        }
    }
}
