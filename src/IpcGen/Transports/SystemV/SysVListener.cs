using System.Runtime.InteropServices;
using IpcGen.Transports.Pipe;
using IpcGen.Transports.Queues;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.SystemV;

/// <summary>
/// Serves an endpoint over one System V queue. Ownership is an exclusive <c>flock</c> on
/// <c>name.sysv.lock</c>: the holder knows a queue already at its key is either stale (ours: left by a
/// server that crashed) or another program's, tells the two apart with <c>IPC_STAT</c>, and reclaims only
/// its own. The accept thread reads connect requests (type 1) and answers each on the client's reply type.
/// Stopping removes the queue, which wakes every reader, server or client, with <c>EIDRM</c>.
/// </summary>
internal sealed unsafe class SysVListener : ConnectionListener
{
    /// <summary>How long a send may wait for room in a full queue before the connection is given up.</summary>
    internal static readonly TimeSpan DefaultSendStallLimit = TimeSpan.FromSeconds(10);

    private readonly SafeFileHandle _lock;
    private readonly string _path;
    private readonly SysVQueue _queue;
    private readonly PeerWatcher _watcher;
    private readonly TimeSpan _sendStallLimit;
    private readonly HashSet<long> _live = new();
    private readonly byte[] _buffer;
    private int _disposed;

    private SysVListener(SafeFileHandle lockHandle, string path, SysVQueue queue, TimeSpan sendStallLimit)
    {
        _lock = lockHandle;
        _path = path;
        _queue = queue;
        _sendStallLimit = sendStallLimit;
        _buffer = GC.AllocateUninitializedArray<byte>(Interop.SysVMsg.TypeSize + queue.MessageSize, pinned: true);
        _watcher = new PeerWatcher("IpcGen System V watcher");
    }

    public override string Endpoint => _path;

    /// <summary>The queue's key (tests and diagnostics).</summary>
    internal int Key => _queue.Key;

    public static SysVListener Bind(string endpoint, TimeSpan? sendStallLimit = null)
    {
        string path = SysVEndpoint.Path(endpoint, createDirectory: true);
        SafeFileHandle lockHandle = EndpointLock.Acquire(SysVEndpoint.Lock(path), path);
        try
        {
            int key = SysVEndpoint.Key(path);
            int id = Create(key, path);
            return new SysVListener(lockHandle, path, new SysVQueue(id, key), sendStallLimit ?? DefaultSendStallLimit);
        }
        catch
        {
            File.Delete(SysVEndpoint.Lock(path));
            lockHandle.Dispose();
            throw;
        }
    }

    /// <summary>Creates the queue at <paramref name="key"/> (0600); a stale one of ours in the way is removed first.</summary>
    private static int Create(int key, string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            int id = Interop.SysVMsg.MsgGet(key, Interop.SysVMsg.IPC_CREAT | Interop.SysVMsg.IPC_EXCL | 0b110_000_000);
            if (id >= 0)
            {
                return id;
            }
            if (Marshal.GetLastPInvokeError() != Interop.SysVMsg.EEXIST || attempt == 3)
            {
                throw Interop.LastError("msgget", $"{SysVEndpoint.KeyText(key)} for {path}");
            }
            // We hold the endpoint lock, so no live server of ours uses this key: the queue is stale if it is
            // ours, and someone else's otherwise (a key collision we must not touch).
            int existing = Interop.SysVMsg.MsgGet(key, 0);
            Interop.SysVMsg.QueueStatus? owner = existing >= 0 ? Interop.SysVMsg.Stat(existing) : null;
            uint me = RuntimeDirectory.CurrentUserId;
            if (existing >= 0 && owner is { } o && o.UserId == me && o.CreatorUserId == me && o.Mode == 0b110_000_000)
            {
                Interop.SysVMsg.Remove(existing);
                continue;
            }
            if (existing < 0 && Marshal.GetLastPInvokeError() == Interop.SysVMsg.ENOENT)
            {
                continue; // removed meanwhile
            }
            throw new IpcException($"The System V message queue key {SysVEndpoint.KeyText(key)} (derived from '{path}') is taken by a queue " +
                "that another program or user owns. Choose another endpoint name, or remove that queue (ipcrm -Q) if it is yours.");
        }
    }

    public override FrameChannel? Accept()
    {
        while (true)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return null;
            }
            nint read;
            fixed (byte* buffer = _buffer)
            {
                read = Interop.SysVMsg.MsgRcv(_queue.Id, buffer, (nuint)_queue.MessageSize, SysVEndpoint.ConnectType, 0);
            }
            if (read < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Interop.SysVMsg.EIDRM or Interop.SysVMsg.EINVAL)
                {
                    return null; // removed by Dispose (or by a client that saw this process die)
                }
                if (errno is Interop.SysVMsg.EINTR or Interop.SysVMsg.E2BIG)
                {
                    continue;
                }
                throw Interop.LastError("msgrcv", SysVEndpoint.KeyText(_queue.Key));
            }
            var message = new ReadOnlySpan<byte>(_buffer, Interop.SysVMsg.TypeSize, (int)read);
            if (!QueueMessage.TryReadHeader(message, out uint zero, out QueueMessageKind kind) || kind != QueueMessageKind.Connect || zero != 0
                || !QueueMessage.TryReadConnect(message.Slice(QueueMessage.HeaderSize), out int pid, out uint sequence))
            {
                continue; // not a connect request: nobody to answer
            }
            long connection = SysVEndpoint.Connection(pid, sequence);
            lock (_live)
            {
                if (_live.Contains(connection))
                {
                    continue; // a duplicate: answering would cross two connections' messages
                }
            }
            if (Interop.Process.Identify(pid) is not ({ } credentials, { } pidfd))
            {
                continue; // the claimed process does not exist: a forged or stale request
            }
            if (!SendAccept(connection))
            {
                pidfd.Dispose();
                continue;
            }
            lock (_live)
            {
                _live.Add(connection);
            }
            return new SysVChannel(_queue, connection, isServer: true, credentials, pidfd, _watcher, ownsWatcher: false, _sendStallLimit,
                () => { lock (_live) { _live.Remove(connection); } });
        }
    }

    /// <summary>The answer on the client's reply type. A queue full for a whole second drops the request.</summary>
    private bool SendAccept(long connection)
    {
        byte* message = stackalloc byte[Interop.SysVMsg.TypeSize + QueueMessage.HeaderSize + QueueMessage.AcceptBodySize];
        *(long*)message = SysVEndpoint.ReplyType(connection);
        int size = QueueMessage.WriteAccept(new Span<byte>(message + Interop.SysVMsg.TypeSize, QueueMessage.HeaderSize + QueueMessage.AcceptBodySize), (uint)connection, Environment.ProcessId);
        for (int waited = 0; waited < 1000 && Volatile.Read(ref _disposed) == 0;)
        {
            if (Interop.SysVMsg.MsgSnd(_queue.Id, message, (nuint)size, Interop.SysVMsg.IPC_NOWAIT) == 0)
            {
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.SysVMsg.EAGAIN)
            {
                Thread.Sleep(1);
                waited++;
            }
            else if (errno != Interop.SysVMsg.EINTR)
            {
                return false;
            }
        }
        return false;
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Removing the queue wakes the accept thread and every connection, here and in the clients.
        // Done while still holding the lock, so a server starting now cannot lose its fresh queue.
        Interop.SysVMsg.Remove(_queue.Id);
        _watcher.Dispose();
        File.Delete(SysVEndpoint.Lock(_path));
        _lock.Dispose();
    }
}
