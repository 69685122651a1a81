using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// The client's side: requests go into the server's request queue, replies come from this client's own
/// reply queue (already unlinked: only the two descriptors keep it alive). The server's pidfd makes a
/// killed server visible at once, even though its queue descriptor can never report a hang-up.
/// </summary>
internal sealed unsafe class MqClientChannel : MqChannel
{
    private readonly int _replyMqd;
    private readonly byte[] _receiveBuffer;
    private bool _serverGone;

    /// <summary>Takes ownership of both queue descriptors and the server's pidfd.</summary>
    public MqClientChannel(int replyMqd, int replyMessageSize, int requestMqd, int requestMessageSize, uint connection, SafeFileHandle serverPidfd, PeerCredentials server)
        : base(requestMqd, requestMessageSize, connection, serverPidfd, server)
    {
        _replyMqd = replyMqd;
        _receiveBuffer = GC.AllocateUninitializedArray<byte>(replyMessageSize, pinned: true);
    }

    protected override bool NextMessage(out ReadOnlySpan<byte> message)
    {
        message = default;
        long deadline = ReceiveTimeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + ReceiveTimeoutMs;
        fixed (byte* buffer = _receiveBuffer)
        {
            while (true)
            {
                if (IsShutdown)
                {
                    return false;
                }
                nint received = Interop.Mqueue.Receive(_replyMqd, buffer, (nuint)_receiveBuffer.Length, null);
                if (received >= 0)
                {
                    message = new ReadOnlySpan<byte>(buffer, (int)received);
                    return true;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Mqueue.EINTR)
                {
                    continue;
                }
                if (errno != Interop.Mqueue.EAGAIN)
                {
                    throw Interop.LastError("mq_receive");
                }
                if (_serverGone)
                {
                    return false; // what the server sent before it died has been read
                }
                WaitReadable(deadline);
            }
        }
    }

    private void WaitReadable(long deadline)
    {
        Interop.Pipe.PollFd* fds = stackalloc Interop.Pipe.PollFd[3];
        fds[0] = new Interop.Pipe.PollFd { Fd = _replyMqd, Events = Interop.Pipe.POLLIN };
        fds[1] = new Interop.Pipe.PollFd { Fd = PeerPidfd, Events = Interop.Pipe.POLLIN };
        fds[2] = new Interop.Pipe.PollFd { Fd = WakeFd, Events = Interop.Pipe.POLLIN };
        while (true)
        {
            int timeout = deadline == long.MaxValue ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            int ready = Interop.Pipe.Poll(fds, 3, timeout);
            if (ready > 0)
            {
                if (fds[1].Revents != 0)
                {
                    _serverGone = true;
                }
                if (fds[2].Revents != 0)
                {
                    DrainWake();
                }
                return;
            }
            if (ready == 0)
            {
                throw new TimeoutException("no message within the receive timeout");
            }
            if (Marshal.GetLastPInvokeError() != Interop.Pipe.EINTR)
            {
                throw Interop.LastError("poll");
            }
        }
    }

    protected override void DisposeCore() => Interop.Mqueue.Close(_replyMqd);
}
