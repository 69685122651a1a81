using System.Runtime.InteropServices;

namespace IpcGen.Transports.Pipe;

/// <summary>
/// Frames over a pair of one-way pipes (named FIFOs or anonymous <c>pipe(2)</c> ends): one to read, one to
/// write. Both descriptors are non-blocking and waited on with <c>poll</c> together with an eventfd, so
/// <see cref="Shutdown"/> wakes a blocked receive or send (closing a descriptor another thread is blocked
/// on would not). End of file on the read side, or <c>EPIPE</c>/<c>POLLERR</c> on the write side (.NET
/// ignores SIGPIPE), means the peer is gone: every process that held the other end has exited or closed it.
/// </summary>
internal sealed unsafe class PipeChannel : StreamFrameChannel, IRawSendShutdown
{
    private readonly int _readFd;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _write; // ref-counted: a send on another thread may race Dispose
    private readonly int _wakeFd;
    private readonly PeerCredentials _peer;
    private readonly Action? _onDispose;
    private int _receiveTimeoutMs = -1;
    private bool _moreLikely; // the last read filled the caller's buffer: more bytes are probably waiting
    private volatile bool _shutdown;
    private int _disposed;

    /// <summary>Takes ownership of both descriptors.</summary>
    public PipeChannel(int readFd, int writeFd, PeerCredentials peer, Action? onDispose = null)
    {
        _readFd = readFd;
        _write = new Microsoft.Win32.SafeHandles.SafeFileHandle(writeFd, ownsHandle: true);
        _peer = peer;
        _onDispose = onDispose;
        Interop.Pipe.SetNonBlocking(readFd, true);
        Interop.Pipe.SetNonBlocking(writeFd, true);
        _wakeFd = Interop.Pipe.EventFd(0, Interop.Pipe.EFD_CLOEXEC | Interop.Pipe.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            throw Interop.LastError("eventfd");
        }
    }

    public override PeerCredentials Peer => _peer;

    protected override int ReceiveCore(Span<byte> destination)
    {
        fixed (byte* buffer = destination)
        {
            // After a read that emptied the pipe, the next frame is usually not there yet (a caller waiting for
            // its answer, a server for the next request): poll first, saving the read that would say EAGAIN.
            // After a read that filled the buffer, more is likely waiting: read first.
            bool pollFirst = !_moreLikely;
            while (true)
            {
                if (_shutdown)
                {
                    return 0;
                }
                if (pollFirst)
                {
                    pollFirst = false;
                    if (!Wait(_readFd, Interop.Pipe.POLLIN, _receiveTimeoutMs))
                    {
                        throw new TimeoutException("no data within the receive timeout");
                    }
                    continue;
                }
                nint read = Interop.Pipe.Read(_readFd, buffer, (nuint)destination.Length);
                if (read >= 0)
                {
                    _moreLikely = read == destination.Length;
                    return (int)read; // 0: every writer is gone
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Pipe.EAGAIN)
                {
                    if (!Wait(_readFd, Interop.Pipe.POLLIN, _receiveTimeoutMs))
                    {
                        throw new TimeoutException("no data within the receive timeout");
                    }
                }
                else if (errno != Interop.Pipe.EINTR)
                {
                    return 0;
                }
            }
        }
    }

    protected override void SendCore(ReadOnlySpan<byte> frame)
    {
        bool added = false;
        try
        {
            _write.DangerousAddRef(ref added);
            SendAll((int)_write.DangerousGetHandle(), frame);
        }
        catch (ObjectDisposedException)
        {
            throw new IpcDisconnectedException("The connection is closed.");
        }
        finally
        {
            if (added)
            {
                _write.DangerousRelease();
            }
        }
    }

    private void SendAll(int writeFd, ReadOnlySpan<byte> frame)
    {
        fixed (byte* start = frame)
        {
            byte* next = start;
            nuint left = (nuint)frame.Length;
            while (left > 0)
            {
                if (_shutdown)
                {
                    throw new IpcDisconnectedException("The connection is closed.");
                }
                nint written = Interop.Pipe.Write(writeFd, next, left);
                if (written > 0)
                {
                    next += written;
                    left -= (nuint)written;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Pipe.EAGAIN)
                {
                    Wait(writeFd, Interop.Pipe.POLLOUT, -1);
                }
                else if (errno != Interop.Pipe.EINTR)
                {
                    throw new IOException(errno == Interop.Pipe.EPIPE ? "the reading end of the pipe is closed" : $"write failed: errno {errno}");
                }
            }
        }
    }

    /// <summary>Waits until <paramref name="fd"/> is ready or the channel is shut down; false on timeout.</summary>
    private bool Wait(int fd, short events, int timeoutMs)
    {
        Interop.Pipe.PollFd* fds = stackalloc Interop.Pipe.PollFd[2];
        fds[0] = new Interop.Pipe.PollFd { Fd = fd, Events = events };
        fds[1] = new Interop.Pipe.PollFd { Fd = _wakeFd, Events = Interop.Pipe.POLLIN };
        while (true)
        {
            int ready = Interop.Pipe.Poll(fds, 2, timeoutMs);
            if (ready > 0)
            {
                return true; // readable, writable, hung up or woken: the caller's next call tells which
            }
            if (ready == 0)
            {
                return false;
            }
            if (Marshal.GetLastPInvokeError() != Interop.Pipe.EINTR)
            {
                throw Interop.LastError("poll");
            }
        }
    }

    public override void SetReceiveTimeout(TimeSpan? timeout)
        => _receiveTimeoutMs = timeout is null ? -1 : (int)Math.Max(1, timeout.Value.TotalMilliseconds);

    /// <summary>Closes only our writing end: the peer reads end of file.</summary>
    public void ShutdownSend() => _write.Dispose();

    public override void Shutdown()
    {
        _shutdown = true;
        if (Volatile.Read(ref _disposed) == 0)
        {
            ulong one = 1;
            Interop.Pipe.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _shutdown = true;
        ulong one = 1;
        Interop.Pipe.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        // Closing our ends is what the peer sees as EOF/EPIPE. Both callers dispose after the receiving
        // thread has finished, so the read and wake descriptors are closed under nobody.
        Interop.Pipe.Close(_readFd);
        _write.Dispose();
        Interop.Pipe.Close(_wakeFd);
        _onDispose?.Invoke();
    }
}
