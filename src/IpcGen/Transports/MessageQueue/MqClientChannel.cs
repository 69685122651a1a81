using System.Runtime.InteropServices;
using IpcGen.Transports.Queues;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// The client's side: requests go into the server's request queue, replies come from this client's own
/// reply queue (already unlinked: only the descriptors keep it alive). A receive blocks in the kernel's
/// <c>mq_timedreceive</c> itself — no poll before it — so a reply costs what it costs in C. What must
/// interrupt it is put into the same queue: <see cref="FrameChannel.Shutdown"/> sends this client a Bye of
/// its own at the highest priority. A killed server sends nothing; the receive wakes every
/// <see cref="DefaultLivenessSliceMs"/> ms to ask the server's pidfd, so its death is seen well within a second.
/// </summary>
internal sealed unsafe class MqClientChannel : MqChannel
{
    /// <summary>How long one blocking receive lasts before the peer's pidfd is consulted (both sides).</summary>
    internal const int DefaultLivenessSliceMs = 200;

    private readonly int _replyMqd;     // blocking, read side
    private readonly int _selfWakeMqd;  // non-blocking, write side of the same queue
    private readonly byte[] _receiveBuffer;
    private bool _serverGone;

    /// <summary>The receive slice of this channel; tests lengthen it to prove that nothing but the wake-up ends a wait.</summary>
    internal int LivenessSliceMs { get; set; } = DefaultLivenessSliceMs;

    /// <summary>Takes ownership of the queue descriptors and the server's pidfd.</summary>
    public MqClientChannel(int replyMqd, int selfWakeMqd, int replyMessageSize, int requestMqd, int requestMessageSize, uint connection, SafeFileHandle serverPidfd, PeerCredentials server)
        : base(requestMqd, requestMessageSize, connection, serverPidfd, server)
    {
        _replyMqd = replyMqd;
        _selfWakeMqd = selfWakeMqd;
        _receiveBuffer = GC.AllocateUninitializedArray<byte>(replyMessageSize, pinned: true);
    }

    /// <summary>Messages waiting in the reply queue now (tests wait on it).</summary>
    internal long ReplyQueueDepth => Interop.Mqueue.Attributes(_replyMqd).CurrentMessages;

    /// <summary>The reply queue's capacity in messages.</summary>
    internal long ReplyQueueCapacity => Interop.Mqueue.Attributes(_replyMqd).MaxMessages;

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
                // Once the server is gone, take only what it sent before dying: a deadline in the past makes
                // the receive return at once when the queue is empty.
                int sliceMs = _serverGone ? 0 : (int)Math.Min(LivenessSliceMs, Math.Max(0, deadline - Environment.TickCount64));
                Interop.Mqueue.Timespec until = Interop.Mqueue.Deadline(sliceMs);
                nint received = Interop.Mqueue.TimedReceive(_replyMqd, buffer, (nuint)_receiveBuffer.Length, null, &until);
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
                if (errno != Interop.Mqueue.ETIMEDOUT)
                {
                    throw Interop.LastError("mq_timedreceive");
                }
                if (_serverGone)
                {
                    return false;
                }
                if (PeerHasExited())
                {
                    _serverGone = true;
                    continue;
                }
                if (Environment.TickCount64 >= deadline)
                {
                    throw new TimeoutException("no message within the receive timeout");
                }
            }
        }
    }

    protected override void WakeReceiver()
    {
        byte* bye = stackalloc byte[QueueMessage.HeaderSize];
        QueueMessage.WriteHeader(new Span<byte>(bye, QueueMessage.HeaderSize), Connection, QueueMessageKind.Bye);
        // Fails only when the queue is full, and then the receiver is not blocked: it sees the flag first.
        Interop.Mqueue.Send(_selfWakeMqd, bye, QueueMessage.HeaderSize, Interop.Mqueue.WakePriority);
    }

    protected override void DisposeCore()
    {
        Interop.Mqueue.Close(_replyMqd);
        Interop.Mqueue.Close(_selfWakeMqd);
    }
}
