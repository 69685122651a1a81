using System.Diagnostics;
using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace IpcGen.Transports.Pipe;

/// <summary>
/// Connects over FIFOs: creates this connection's request/response FIFO pair (0600), announces it with one
/// atomic record on the server's connect FIFO, waits until the server has opened both, then deletes the
/// pair's names — from then on they are as anonymous as pipe(2) ends, and a crash leaves no file behind.
/// </summary>
internal static class FifoConnector
{
    private static int s_sequence;

    public static async ValueTask<FrameChannel> ConnectAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string fifoPath = FifoNames.ConnectFifo(endpoint, createDirectory: false);
        var stopwatch = Stopwatch.StartNew();
        bool TimeLeft() => timeout == Timeout.InfiniteTimeSpan || stopwatch.Elapsed < timeout;
        int delayMs = 2;

        // 1. Announce ourselves, waiting for a server to appear.
        int pid = Environment.ProcessId;
        uint sequence = (uint)Interlocked.Increment(ref s_sequence);
        string requestPath = FifoNames.Request(fifoPath, pid, sequence);
        string responsePath = FifoNames.Response(fifoPath, pid, sequence);
        int responseFd = -1;
        int requestFd = -1;
        try
        {
            MakeFifo(requestPath);
            MakeFifo(responsePath);
            responseFd = OpenOrThrow(responsePath, Interop.Pipe.O_RDONLY);
            // Read-write for now: a writer must exist before the server opens its read end, or the server's
            // first read would report end of file. Replaced by a write-only descriptor once accepted.
            requestFd = OpenOrThrow(requestPath, Interop.Pipe.O_RDWR);
            while (!TryAnnounce(fifoPath, pid, sequence))
            {
                if (!TimeLeft())
                {
                    throw new IpcTimeoutException($"Could not connect to '{fifoPath}' within {timeout.TotalSeconds:0.###} s: no server reads it. Is the server running?");
                }
                await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
                delayMs = Math.Min(delayMs * 2, 100);
            }

            // The server opens our response FIFO for writing and our request FIFO for reading, then writes its
            // accept record; its first bytes name its pid, and the kernel tells us that process's uid/gid.
            int waitMs = timeout == Timeout.InfiniteTimeSpan ? 5000 : (int)Math.Max(1, (timeout - stopwatch.Elapsed).TotalMilliseconds);
            PeerCredentials server = ReadAccept(responseFd, waitMs, fifoPath); // the server answers at once: block, as a socket connect does

            int writeOnly = OpenOrThrow(requestPath, Interop.Pipe.O_WRONLY);
            Interop.Pipe.Close(requestFd);
            requestFd = writeOnly;
            var channel = new PipeChannel(responseFd, requestFd, server);
            responseFd = requestFd = -1;
            return channel;
        }
        finally
        {
            CloseIfOpen(requestFd);
            CloseIfOpen(responseFd);
            // Both sides hold their descriptors now (or the attempt failed): the names are no longer needed.
            File.Delete(requestPath);
            File.Delete(responsePath);
        }
    }

    private static int OpenOrThrow(string path, int access)
    {
        int fd = Interop.Pipe.Open(path, access | Interop.Pipe.O_NONBLOCK | Interop.Pipe.O_CLOEXEC | Interop.Pipe.O_NOFOLLOW, 0);
        return fd >= 0 ? fd : throw Interop.LastError("open", path);
    }

    private static void MakeFifo(string path)
    {
        File.Delete(path);
        if (Interop.Pipe.MkFifo(path, 0b110_000_000) != 0)
        {
            throw Interop.LastError("mkfifo", path);
        }
    }

    private static unsafe bool TryAnnounce(string fifoPath, int pid, uint sequence)
    {
        int fd = Interop.Pipe.Open(fifoPath, Interop.Pipe.O_WRONLY | Interop.Pipe.O_NONBLOCK | Interop.Pipe.O_CLOEXEC | Interop.Pipe.O_NOFOLLOW, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Interop.Pipe.ENOENT or Interop.Pipe.ENXIO)
            {
                return false; // no server yet, or a stale FIFO nobody reads
            }
            throw Interop.LastError("open", fifoPath);
        }
        try
        {
            byte* record = stackalloc byte[FifoNames.RecordSize];
            FifoNames.WriteConnect(new Span<byte>(record, FifoNames.RecordSize), pid, sequence);
            nint written = Interop.Pipe.Write(fd, record, FifoNames.RecordSize);
            return written == FifoNames.RecordSize; // EAGAIN: the connect FIFO is full; try again
        }
        finally
        {
            Interop.Pipe.Close(fd);
        }
    }

    private static unsafe PeerCredentials ReadAccept(int fd, int timeoutMs, string fifoPath)
    {
        byte* record = stackalloc byte[FifoNames.RecordSize];
        int have = 0;
        long deadline = Environment.TickCount64 + timeoutMs;
        while (have < FifoNames.RecordSize)
        {
            // Poll before reading: until the server opens its end, a read would report end of file, while
            // poll waits (it reports a hang-up only once a writer has come and gone).
            int left = (int)(deadline - Environment.TickCount64);
            if (left <= 0 || Interop.Pipe.PollOne(fd, Interop.Pipe.POLLIN, left) == 0)
            {
                throw new IpcTimeoutException($"The server at '{fifoPath}' did not take the connection in time. Is the server running?");
            }
            nint read = Interop.Pipe.Read(fd, record + have, (nuint)(FifoNames.RecordSize - have));
            if (read > 0)
            {
                have += (int)read;
                continue;
            }
            if (read == 0)
            {
                throw new IpcDisconnectedException($"The server at '{fifoPath}' closed the connection while accepting it.");
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno is not (Interop.Pipe.EAGAIN or Interop.Pipe.EINTR))
            {
                throw Interop.LastError("read", fifoPath);
            }
        }
        if (!FifoNames.TryReadAccept(new ReadOnlySpan<byte>(record, FifoNames.RecordSize), out int pid))
        {
            throw new IpcProtocolException("the server's accept record is malformed");
        }
        if (Interop.Process.Identify(pid) is ({ } credentials, { } pidfd))
        {
            pidfd.Dispose();
            return credentials;
        }
        throw new IpcDisconnectedException($"The server at '{fifoPath}' (pid {pid}) exited while accepting the connection.");
    }

    private static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            Interop.Pipe.Close(fd);
        }
    }
}
