using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace IpcGen.Transports.Pipe;

/// <summary>
/// Serves an endpoint over named FIFOs. Ownership is an exclusive <c>flock</c> on <c>name.fifo.lock</c>
/// (dropped by the kernel when the owner dies), so a restarted server knows every FIFO there is stale and
/// reclaims it. The connect FIFO is opened read-write, so it never reports end of file between clients;
/// connect records are 16 bytes, well under <c>PIPE_BUF</c>, so concurrent clients' records never interleave.
/// </summary>
internal sealed unsafe class FifoListener : ConnectionListener
{
    private readonly SafeFileHandle _lock;
    private readonly string _fifoPath;
    private readonly int _connectFd;
    private readonly int _wakeFd;
    private readonly byte[] _pending = new byte[FifoNames.RecordSize * 256];
    private int _pendingStart;
    private int _pendingEnd;
    private int _disposed;
    private int _descriptorsClosed;

    private FifoListener(SafeFileHandle lockHandle, string fifoPath, int connectFd, int wakeFd)
    {
        _lock = lockHandle;
        _fifoPath = fifoPath;
        _connectFd = connectFd;
        _wakeFd = wakeFd;
    }

    public override string Endpoint => _fifoPath;

    public static FifoListener Bind(string endpoint)
    {
        string fifoPath = FifoNames.ConnectFifo(endpoint, createDirectory: true);
        SafeFileHandle lockHandle = EndpointLock.Acquire(FifoNames.Lock(fifoPath), fifoPath);
        try
        {
            // We own the endpoint: whatever FIFOs are there were left by a server or clients that died.
            ReclaimStale(fifoPath);
            if (Interop.Pipe.MkFifo(fifoPath, 0b110_000_000) != 0)
            {
                throw Interop.LastError("mkfifo", fifoPath);
            }
            Syscall.chmod(fifoPath, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR); // umask may have narrowed it; never widened
            int fd = Interop.Pipe.Open(fifoPath, Interop.Pipe.O_RDWR | Interop.Pipe.O_NONBLOCK | Interop.Pipe.O_CLOEXEC | Interop.Pipe.O_NOFOLLOW, 0);
            if (fd < 0)
            {
                throw Interop.LastError("open", fifoPath);
            }
            int wake = Interop.Pipe.EventFd(0, Interop.Pipe.EFD_CLOEXEC | Interop.Pipe.EFD_NONBLOCK);
            if (wake < 0)
            {
                Interop.Pipe.Close(fd);
                throw Interop.LastError("eventfd");
            }
            return new FifoListener(lockHandle, fifoPath, fd, wake);
        }
        catch
        {
            File.Delete(fifoPath);
            lockHandle.Dispose();
            throw;
        }
    }

    /// <summary>The connect FIFO and any client FIFO pair of this endpoint (the lock is held by the caller).</summary>
    private static void ReclaimStale(string fifoPath)
    {
        File.Delete(fifoPath);
        string directory = Path.GetDirectoryName(fifoPath)!;
        string prefix = Path.GetFileName(fifoPath) + ".";
        foreach (string path in StaleCandidates(directory, prefix))
        {
            File.Delete(path);
        }
    }

    /// <summary>Client FIFO pairs of the endpoint: <c>name.fifo.&lt;pid&gt;.&lt;seq&gt;.req|rsp</c>.</summary>
    internal static IEnumerable<string> StaleCandidates(string directory, string prefix)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }
        foreach (string path in Directory.EnumerateFiles(directory, prefix + "*"))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(".req", StringComparison.Ordinal) || name.EndsWith(".rsp", StringComparison.Ordinal))
            {
                yield return path;
            }
        }
    }

    public override FrameChannel? Accept()
    {
        Span<byte> accept = stackalloc byte[FifoNames.RecordSize];
        while (true)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                // The accept thread is the only user of these descriptors: it closes them on its way out.
                if (Interlocked.Exchange(ref _descriptorsClosed, 1) == 0)
                {
                    Interop.Pipe.Close(_connectFd);
                    Interop.Pipe.Close(_wakeFd);
                }
                return null;
            }
            if (!NextRecord(out int pid, out uint sequence))
            {
                continue;
            }
            string requestPath = FifoNames.Request(_fifoPath, pid, sequence);
            string responsePath = FifoNames.Response(_fifoPath, pid, sequence);
            if (Interop.Process.Identify(pid) is not ({ } credentials, { } pidfd))
            {
                continue; // the claimed process does not exist: a forged or stale record
            }
            pidfd.Dispose();
            if (!IsFifoOwnedBy(requestPath, credentials.UserId) || !IsFifoOwnedBy(responsePath, credentials.UserId))
            {
                continue; // not FIFOs, or not created by the claimed process's user
            }
            // Response first: the client holds its read end open already, so this cannot block; the client
            // learns we are done once it can open the request FIFO for writing (we hold its read end).
            int responseFd = Interop.Pipe.Open(responsePath, Interop.Pipe.O_WRONLY | Interop.Pipe.O_NONBLOCK | Interop.Pipe.O_CLOEXEC | Interop.Pipe.O_NOFOLLOW, 0);
            if (responseFd < 0)
            {
                continue; // ENXIO: the client gave up and closed its end
            }
            int requestFd = Interop.Pipe.Open(requestPath, Interop.Pipe.O_RDONLY | Interop.Pipe.O_NONBLOCK | Interop.Pipe.O_CLOEXEC | Interop.Pipe.O_NOFOLLOW, 0);
            if (requestFd < 0)
            {
                Interop.Pipe.Close(responseFd);
                continue;
            }
            FifoNames.WriteAccept(accept, Environment.ProcessId);
            fixed (byte* record = accept)
            {
                if (Interop.Pipe.Write(responseFd, record, FifoNames.RecordSize) != FifoNames.RecordSize)
                {
                    Interop.Pipe.Close(responseFd);
                    Interop.Pipe.Close(requestFd);
                    continue;
                }
            }
            return new PipeChannel(requestFd, responseFd, credentials);
        }
    }

    private static bool IsFifoOwnedBy(string path, uint uid)
        => Syscall.lstat(path, out Stat stat) == 0
           && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFIFO
           && stat.st_uid == uid;

    /// <summary>
    /// The next well-formed connect record; false when none is ready yet. Records are found by their
    /// magic and check word, not by position: a writer's garbage of any length is skipped byte by byte
    /// without throwing away the honest records that arrived in the same read. A record cut in two by
    /// a full buffer is kept for the next read.
    /// </summary>
    private bool NextRecord(out int pid, out uint sequence)
    {
        if (FifoNames.FindConnect(_pending.AsSpan(0, _pendingEnd), ref _pendingStart, out pid, out sequence))
        {
            return true;
        }
        int tail = _pendingEnd - _pendingStart;
        _pending.AsSpan(_pendingStart, tail).CopyTo(_pending);
        _pendingStart = 0;
        _pendingEnd = tail;
        fixed (byte* buffer = _pending)
        {
            nint read = Interop.Pipe.Read(_connectFd, buffer + _pendingEnd, (nuint)(_pending.Length - _pendingEnd));
            if (read < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is not (Interop.Pipe.EAGAIN or Interop.Pipe.EINTR))
                {
                    throw Interop.LastError("read", _fifoPath);
                }
                WaitReadable();
                return false;
            }
            _pendingEnd += (int)read;
        }
        return FifoNames.FindConnect(_pending.AsSpan(0, _pendingEnd), ref _pendingStart, out pid, out sequence);
    }

    private void WaitReadable()
    {
        Interop.Pipe.PollFd* fds = stackalloc Interop.Pipe.PollFd[2];
        fds[0] = new Interop.Pipe.PollFd { Fd = _connectFd, Events = Interop.Pipe.POLLIN };
        fds[1] = new Interop.Pipe.PollFd { Fd = _wakeFd, Events = Interop.Pipe.POLLIN };
        Interop.Pipe.Poll(fds, 2, -1);
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        ulong one = 1;
        Interop.Pipe.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        // Delete while still holding the lock, so a server starting now cannot lose its fresh FIFO.
        File.Delete(_fifoPath);
        File.Delete(FifoNames.Lock(_fifoPath));
        _lock.Dispose();
    }
}
