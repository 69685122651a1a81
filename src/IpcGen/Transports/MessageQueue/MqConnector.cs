using System.Diagnostics;
using System.Runtime.InteropServices;
using IpcGen.Transports.Queues;
using Mono.Unix.Native;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// Connects over POSIX message queues: creates this client's reply queue (O_EXCL, 0600), opens the server's
/// request queue, sends Connect (pid, sequence) and waits for Accept (connection id, server pid) on the reply
/// queue. The server unlinks the reply queue's name as soon as it has it open; this side unlinks it too,
/// whatever happened, so no name outlives the attempt.
/// </summary>
internal static class MqConnector
{
    private static int s_sequence;

    /// <summary>How many reply-queue sequence numbers this process has used (tests probe those names).</summary>
    internal static int SequencesUsed => Volatile.Read(ref s_sequence);

    public static async ValueTask<FrameChannel> ConnectAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string queueName = MqNames.RequestQueue(endpoint);
        var stopwatch = Stopwatch.StartNew();
        bool TimeLeft() => timeout == Timeout.InfiniteTimeSpan || stopwatch.Elapsed < timeout;
        int delayMs = 2;

        int pid = Environment.ProcessId;
        uint sequence = (uint)Interlocked.Increment(ref s_sequence);
        string replyName = MqNames.ReplyQueue(queueName, pid, sequence);
        int reply = CreateReplyQueue(replyName);
        int request = -1;
        // A second, non-blocking write descriptor on our own reply queue, opened while the name surely exists:
        // Shutdown wakes a blocked receive by sending through it.
        int selfWake = Interop.Mqueue.Open(replyName, Interop.Mqueue.O_WRONLY | Interop.Mqueue.O_NONBLOCK);
        try
        {
            if (selfWake < 0)
            {
                throw Interop.LastError("mq_open", replyName);
            }
            // 1. Find the server's queue and announce ourselves, waiting for a server to appear.
            while ((request = OpenRequestQueue(queueName)) < 0 || !TrySendConnect(request, pid, sequence))
            {
                if (!TimeLeft())
                {
                    throw new IpcTimeoutException($"Could not connect to the message queue '{queueName}' within {timeout.TotalSeconds:0.###} s: " +
                        (request < 0 ? "it does not exist." : "it stays full.") + " Is the server running?");
                }
                if (request >= 0)
                {
                    Interop.Mqueue.Close(request);
                    request = -1;
                }
                await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
                delayMs = Math.Min(delayMs * 2, 100);
            }

            // 2. The server answers at once: block for it, as a socket connect does.
            int waitMs = timeout == Timeout.InfiniteTimeSpan ? 5000 : (int)Math.Max(1, (timeout - stopwatch.Elapsed).TotalMilliseconds);
            (uint connection, int serverPid) = ReadAccept(reply, waitMs, queueName);
            if (Interop.Process.Identify(serverPid) is not ({ } server, { } pidfd))
            {
                throw new IpcDisconnectedException($"The server of '{queueName}' (pid {serverPid}) exited while accepting the connection.");
            }
            var channel = new MqClientChannel(reply, selfWake, (int)Interop.Mqueue.Attributes(reply).MessageSize, request, (int)Interop.Mqueue.Attributes(request).MessageSize, connection, pidfd, server);
            reply = request = selfWake = -1;
            return channel;
        }
        finally
        {
            if (request >= 0)
            {
                Interop.Mqueue.Close(request);
            }
            if (reply >= 0)
            {
                Interop.Mqueue.Close(reply);
            }
            if (selfWake >= 0)
            {
                Interop.Mqueue.Close(selfWake);
            }
            Interop.Mqueue.Unlink(replyName); // ENOENT when the server got there first
        }
    }

    private static int CreateReplyQueue(string replyName)
    {
        (long messages, long size) = MqGeometry.Reply;
        int reply = Interop.Mqueue.Create(replyName, Interop.Mqueue.O_RDONLY, messages, size);
        if (reply < 0 && Marshal.GetLastPInvokeError() == Interop.Mqueue.EEXIST)
        {
            // Left by a process that had our pid before us and died between creating and unlinking it.
            Interop.Mqueue.Unlink(replyName);
            reply = Interop.Mqueue.Create(replyName, Interop.Mqueue.O_RDONLY, messages, size);
        }
        return reply >= 0 ? reply : throw MqGeometry.CreateFailed(replyName, messages, size);
    }

    /// <summary>The server's queue, write-only; -1 while it does not exist. Refuses a queue another user planted.</summary>
    private static int OpenRequestQueue(string queueName)
    {
        int request = Interop.Mqueue.Open(queueName, Interop.Mqueue.O_WRONLY | Interop.Mqueue.O_NONBLOCK);
        if (request < 0)
        {
            return Marshal.GetLastPInvokeError() == Interop.Mqueue.ENOENT ? -1 : throw Interop.LastError("mq_open", queueName);
        }
        if (Syscall.fstat(request, out Stat stat) != 0 || stat.st_uid != RuntimeDirectory.CurrentUserId)
        {
            Interop.Mqueue.Close(request);
            throw new IpcException($"The message queue '{queueName}' does not belong to this user (uid {RuntimeDirectory.CurrentUserId}): refusing to send to it.");
        }
        long size = Interop.Mqueue.Attributes(request).MessageSize;
        if (size < QueueMessage.HeaderSize + Protocol.FrameHeader.Size)
        {
            Interop.Mqueue.Close(request);
            throw new IpcException($"The message queue '{queueName}' holds {size}-byte messages, too small for a frame header.");
        }
        return request;
    }

    /// <summary>False when the queue is full (a stale queue nobody reads, or a burst of clients): try again.</summary>
    private static unsafe bool TrySendConnect(int request, int pid, uint sequence)
    {
        byte* connect = stackalloc byte[QueueMessage.HeaderSize + QueueMessage.ConnectBodySize];
        int length = QueueMessage.WriteConnect(new Span<byte>(connect, QueueMessage.HeaderSize + QueueMessage.ConnectBodySize), pid, sequence);
        while (Interop.Mqueue.Send(request, connect, (nuint)length, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.Mqueue.EAGAIN)
            {
                return false;
            }
            if (errno != Interop.Mqueue.EINTR)
            {
                throw Interop.LastError("mq_send");
            }
        }
        return true;
    }

    private static unsafe (uint Connection, int ServerPid) ReadAccept(int reply, int timeoutMs, string queueName)
    {
        int size = (int)Interop.Mqueue.Attributes(reply).MessageSize;
        byte* message = stackalloc byte[size];
        Interop.Mqueue.Timespec until = Interop.Mqueue.Deadline(timeoutMs);
        while (true)
        {
            nint received = Interop.Mqueue.TimedReceive(reply, message, (nuint)size, null, &until);
            if (received >= 0)
            {
                var span = new ReadOnlySpan<byte>(message, (int)received);
                if (QueueMessage.TryReadHeader(span, out uint connection, out QueueMessageKind kind) && kind == QueueMessageKind.Accept && connection != 0
                    && QueueMessage.TryReadAccept(span.Slice(QueueMessage.HeaderSize), out int serverPid))
                {
                    return (connection, serverPid);
                }
                throw new IpcProtocolException("the server's Accept message is malformed");
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.Mqueue.ETIMEDOUT)
            {
                throw new IpcTimeoutException($"The server of the message queue '{queueName}' did not take the connection in time. Is the server running?");
            }
            if (errno != Interop.Mqueue.EINTR)
            {
                throw Interop.LastError("mq_timedreceive");
            }
        }
    }
}
