using System.Runtime.InteropServices;
using IpcGen.Transports.Queues;

namespace IpcGen.Transports.SystemV;

/// <summary>
/// One System V queue as both ends use it: its id, the largest message the kernel takes (<c>msgmax</c>,
/// never more than the queue's <c>msgmnb</c>), and the small non-blocking operations that need no buffer of
/// a channel: control messages (a header-only envelope) and purging one message type.
/// </summary>
internal sealed unsafe class SysVQueue
{
    public SysVQueue(int id, int key)
    {
        Id = id;
        Key = key;
        (int maxMessage, int maxQueueBytes) = Interop.SysVMsg.Limits();
        MessageSize = Math.Min(maxMessage, maxQueueBytes);
    }

    public int Id { get; }

    public int Key { get; }

    /// <summary>Largest message body (envelope included) one <c>msgsnd</c> may carry.</summary>
    public int MessageSize { get; }

    /// <summary>
    /// The body of a Bye from a side that has stopped reading as well as sending (it disposed its channel):
    /// the reader may then purge what is left for that side. A Bye without a body only ends the stream.
    /// </summary>
    public const byte FinalBye = 1;

    /// <summary>
    /// Sends a control message (an envelope, and for a final Bye one body byte) without waiting. True when
    /// sent or when the queue is gone (nobody is left to tell); false when the queue is full, so the caller
    /// retries later.
    /// </summary>
    public bool TrySendControl(long type, uint connection, QueueMessageKind kind, bool final = false)
    {
        byte* message = stackalloc byte[Interop.SysVMsg.TypeSize + QueueMessage.HeaderSize + 1];
        *(long*)message = type;
        QueueMessage.WriteHeader(new Span<byte>(message + Interop.SysVMsg.TypeSize, QueueMessage.HeaderSize), connection, kind);
        message[Interop.SysVMsg.TypeSize + QueueMessage.HeaderSize] = FinalBye;
        nuint size = (nuint)(QueueMessage.HeaderSize + (final ? 1 : 0));
        while (Interop.SysVMsg.MsgSnd(Id, message, size, Interop.SysVMsg.IPC_NOWAIT) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.SysVMsg.EINTR)
            {
                continue;
            }
            return errno != Interop.SysVMsg.EAGAIN;
        }
        return true;
    }

    /// <summary>
    /// Takes every message of <paramref name="type"/> off the queue without waiting. Returns true if one of
    /// them was a final Bye carrying <paramref name="byeConnection"/> (the peer has disposed its side).
    /// </summary>
    public bool Purge(long type, uint byeConnection)
    {
        bool sawBye = false;
        byte* message = stackalloc byte[Interop.SysVMsg.TypeSize + QueueMessage.HeaderSize + 1];
        while (true)
        {
            nint read = Interop.SysVMsg.MsgRcv(Id, message, QueueMessage.HeaderSize + 1, type, Interop.SysVMsg.IPC_NOWAIT | Interop.SysVMsg.MSG_NOERROR);
            if (read < 0)
            {
                if (Marshal.GetLastPInvokeError() == Interop.SysVMsg.EINTR)
                {
                    continue;
                }
                return sawBye; // ENOMSG: none left; EIDRM/EINVAL: the queue is gone
            }
            if (QueueMessage.TryReadHeader(new ReadOnlySpan<byte>(message + Interop.SysVMsg.TypeSize, (int)read), out uint connection, out QueueMessageKind kind)
                && kind == QueueMessageKind.Bye && connection == byeConnection && read == QueueMessage.HeaderSize + 1
                && message[Interop.SysVMsg.TypeSize + QueueMessage.HeaderSize] == FinalBye)
            {
                sawBye = true;
            }
        }
    }

    /// <summary>Whether the queue still exists (it does not once its server removed it).</summary>
    public bool Exists() => Interop.SysVMsg.Stat(Id) is not null;
}
