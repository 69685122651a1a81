using System.Runtime.InteropServices;
using IpcGen.Diagnostics;
using IpcGen.Transports.Pipe;
using IpcGen.Transports.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// Serves an endpoint over POSIX message queues: one request queue that every client writes (0600, so only
/// this user's processes can), and per client a reply queue the client creates. Ownership is an exclusive
/// <c>flock</c> on <c>name.mq.lock</c>, dropped by the kernel when the owner dies, so a restarted server
/// knows an existing request queue is stale: it unlinks the reply queues that pending Connect messages name,
/// then the queue itself, and creates it afresh. A clean stop unlinks the queue and deletes the lock file.
/// </summary>
internal sealed unsafe class MqListener : ConnectionListener
{
    private readonly SafeFileHandle _lock;
    private readonly string _lockPath;
    private readonly string _queueName;
    private readonly MqRequestRouter _router;
    private readonly ILogger _logger;
    private uint _nextConnection = (uint)Random.Shared.Next();
    private int _disposed;

    private MqListener(SafeFileHandle lockHandle, string lockPath, string queueName, MqRequestRouter router, ILogger logger)
    {
        _lock = lockHandle;
        _lockPath = lockPath;
        _queueName = queueName;
        _router = router;
        _logger = logger;
    }

    /// <summary>The request queue's name (what <c>mq_open</c> takes).</summary>
    public override string Endpoint => _queueName;

    internal MqRequestRouter Router => _router;

    /// <summary>Requests received or queued but not yet taken by their connection (tests wait on it).</summary>
    internal long PendingRequests => _router.PendingMessages();

    public static MqListener Bind(string endpoint, IpcServerOptions options)
    {
        string lockPath = MqNames.Lock(endpoint, createDirectory: true);
        string queueName = MqNames.RequestQueue(endpoint);
        SafeFileHandle lockHandle = EndpointLock.Acquire(lockPath, queueName);
        int mqd = -1;
        int readerMqd = -1;
        try
        {
            // We own the endpoint: a queue of that name was left by a server that died.
            ReclaimStale(queueName);
            (long messages, long size) = MqGeometry.Request;
            mqd = Interop.Mqueue.Create(queueName, Interop.Mqueue.O_RDWR | Interop.Mqueue.O_NONBLOCK, messages, size);
            if (mqd < 0)
            {
                throw MqGeometry.CreateFailed(queueName, messages, size);
            }
            readerMqd = Interop.Mqueue.Open(queueName, Interop.Mqueue.O_RDONLY);
            if (readerMqd < 0)
            {
                throw Interop.LastError("mq_open", queueName);
            }
            int messageSize = (int)Interop.Mqueue.Attributes(mqd).MessageSize;
            ILogger logger = options.Logger ?? NullLogger.Instance;
            // A connection whose thread is busy can fall this far behind before it counts as a flood.
            long mailboxLimit = 2L * options.MaxMessageSize + (1 << 20);
            var router = new MqRequestRouter(mqd, readerMqd, queueName, messageSize, mailboxLimit, logger);
            return new MqListener(lockHandle, lockPath, queueName, router, logger);
        }
        catch
        {
            if (readerMqd >= 0)
            {
                Interop.Mqueue.Close(readerMqd);
            }
            if (mqd >= 0)
            {
                Interop.Mqueue.Close(mqd);
                Interop.Mqueue.Unlink(queueName);
            }
            File.Delete(lockPath);
            lockHandle.Dispose();
            throw;
        }
    }

    /// <summary>Unlinks a stale request queue and the reply queues its pending Connect messages name.</summary>
    private static void ReclaimStale(string queueName)
    {
        int stale = Interop.Mqueue.Open(queueName, Interop.Mqueue.O_RDONLY | Interop.Mqueue.O_NONBLOCK);
        if (stale < 0)
        {
            return; // ENOENT: nothing left; anything else: the unlink below says what
        }
        try
        {
            int size = (int)Interop.Mqueue.Attributes(stale).MessageSize;
            byte[] buffer = new byte[size];
            fixed (byte* message = buffer)
            {
                nint received;
                while ((received = Interop.Mqueue.Receive(stale, message, (nuint)size, null)) >= 0)
                {
                    ReadOnlySpan<byte> span = buffer.AsSpan(0, (int)received);
                    if (QueueMessage.TryReadHeader(span, out uint connection, out QueueMessageKind kind)
                        && connection == 0 && kind == QueueMessageKind.Connect
                        && QueueMessage.TryReadConnect(span.Slice(QueueMessage.HeaderSize), out int pid, out uint sequence))
                    {
                        Interop.Mqueue.Unlink(MqNames.ReplyQueue(queueName, pid, sequence));
                    }
                }
            }
        }
        finally
        {
            Interop.Mqueue.Close(stale);
        }
        if (Interop.Mqueue.Unlink(queueName) != 0 && Marshal.GetLastPInvokeError() != Interop.Mqueue.ENOENT)
        {
            throw Interop.LastError("mq_unlink", queueName);
        }
    }

    public override FrameChannel? Accept()
    {
        if (!_router.AddRef())
        {
            return null;
        }
        try
        {
            while (_router.AcceptNext(out ReadOnlySpan<byte> message))
            {
                if (TryAccept(message) is { } channel)
                {
                    return channel;
                }
            }
            return null;
        }
        finally
        {
            _router.Release();
        }
    }

    /// <summary>
    /// Takes one Connect. The reply queue's name is derived from what the kernel can vouch for (our uid, our
    /// tag, the client's pid and sequence), never taken from the peer; the pid must be a live process of the
    /// user that owns the queue.
    /// </summary>
    private MqServerChannel? TryAccept(ReadOnlySpan<byte> message)
    {
        if (!QueueMessage.TryReadHeader(message, out uint connection, out QueueMessageKind kind) || connection != 0 || kind != QueueMessageKind.Connect
            || !QueueMessage.TryReadConnect(message.Slice(QueueMessage.HeaderSize), out int pid, out uint sequence))
        {
            Log.QueueConnectIgnored(_logger, _queueName, "not a well-formed Connect message");
            return null;
        }
        string replyName = MqNames.ReplyQueue(_queueName, pid, sequence);
        if (Interop.Process.Identify(pid) is not ({ } credentials, { } pidfd))
        {
            Log.QueueConnectIgnored(_logger, _queueName, $"pid {pid} is not a live process");
            return null;
        }
        int reply = Interop.Mqueue.Open(replyName, Interop.Mqueue.O_WRONLY | Interop.Mqueue.O_NONBLOCK);
        if (reply < 0)
        {
            pidfd.Dispose();
            Log.QueueConnectIgnored(_logger, _queueName, $"no reply queue {replyName} (the client gave up)");
            return null;
        }
        if (Syscall.fstat(reply, out Stat stat) != 0 || stat.st_uid != credentials.UserId)
        {
            Interop.Mqueue.Close(reply);
            pidfd.Dispose();
            Log.QueueConnectIgnored(_logger, _queueName, $"reply queue {replyName} does not belong to pid {pid}'s user");
            return null;
        }
        // Both ends hold descriptors from here on: the name is no longer needed, and a crash leaves nothing.
        Interop.Mqueue.Unlink(replyName);
        int replySize = (int)Interop.Mqueue.Attributes(reply).MessageSize;
        if (replySize < QueueMessage.HeaderSize + Protocol.FrameHeader.Size)
        {
            Interop.Mqueue.Close(reply);
            pidfd.Dispose();
            Log.QueueConnectIgnored(_logger, _queueName, $"reply queue {replyName} has {replySize}-byte messages, too small for a frame header");
            return null;
        }
        var channel = new MqServerChannel(_router, reply, replySize, NextConnectionId(), pidfd, credentials);
        byte* accept = stackalloc byte[QueueMessage.HeaderSize + QueueMessage.AcceptBodySize];
        int length = QueueMessage.WriteAccept(new Span<byte>(accept, QueueMessage.HeaderSize + QueueMessage.AcceptBodySize), channel.Connection, Environment.ProcessId);
        // Routed before the client can know its id, so its first message finds the connection.
        if (!channel.Attach() || Interop.Mqueue.Send(reply, accept, (nuint)length, 0) != 0)
        {
            channel.Dispose();
            return null;
        }
        return channel;
    }

    private uint NextConnectionId()
    {
        while (true)
        {
            uint id = unchecked(++_nextConnection);
            if (id != 0 && !_router.IsRegistered(id))
            {
                return id;
            }
        }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _router.StopAccepting();
        // Unlink while still holding the lock, so a server starting now cannot lose its fresh queue.
        Interop.Mqueue.Unlink(_queueName);
        File.Delete(_lockPath);
        _lock.Dispose();
        _router.Release();
    }
}
