using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using IpcGen.Diagnostics;
using IpcGen.Protocol;
using IpcGen.Transports.Queues;
using Microsoft.Extensions.Logging;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// One thread's seat at the server's request queue: a connection's receive thread, or the accept thread.
/// Holds the messages another reader took off the queue for it, and the descriptors it waits on.
/// </summary>
internal sealed class MqParticipant
{
    public MqParticipant(uint connection, int wakeFd, int peerPidfd, int messageSize)
    {
        Connection = connection;
        WakeFd = wakeFd;
        PeerPidfd = peerPidfd;
        ReceiveBuffer = GC.AllocateUninitializedArray<byte>(messageSize, pinned: true);
    }

    /// <summary>The connection id its messages carry (0 for the accept thread: Connect messages).</summary>
    public uint Connection { get; }

    /// <summary>An eventfd: signalled when a message lands in the mailbox, the reader role is handed over, or it must stop.</summary>
    public int WakeFd { get; }

    /// <summary>The client's pidfd, or -1 (the accept thread): poll ignores negative descriptors.</summary>
    public int PeerPidfd { get; }

    /// <summary>Where this participant receives while it is the reader: a message for itself needs no copy.</summary>
    public byte[] ReceiveBuffer { get; }

    // Guarded by the router's lock. Highest priority first, in arrival order within a priority: the order
    // the kernel queue itself would have delivered them in.
    public readonly List<(byte[] Buffer, int Length, uint Priority)> Mailbox = new();
    public long MailboxBytes;
    public bool Overflowed;
    public bool Waiting;

    // Touched by the participant's own thread only.
    public byte[]? Lent;
    public bool PeerGone;

    /// <summary>Set by <see cref="MqChannel.Shutdown"/> (or the listener's Dispose) from any thread.</summary>
    public volatile bool Stopped;

    public unsafe void Signal()
    {
        ulong one = 1;
        Interop.Pipe.Write(WakeFd, (byte*)&one, sizeof(ulong));
    }

    public unsafe void DrainWake()
    {
        ulong count;
        Interop.Pipe.Read(WakeFd, (byte*)&count, sizeof(ulong));
    }
}

/// <summary>
/// Demultiplexes the server's one request queue among its connections by leader/follower, so that the
/// common path costs no thread hop: a connection thread that wants a message takes one from its mailbox,
/// else becomes the queue's only reader if nobody is, else waits to be handed the role. The reader keeps a
/// message for itself without copying and copies anyone else's into their mailbox (pooled) and signals
/// them. The accept thread reads the queue only when the role has been free and unclaimed for a while
/// (every connection busy in a long call): Connect messages and other connections' requests then still
/// flow; it hands the role back as soon as a connection thread asks for it.
/// </summary>
internal sealed unsafe class MqRequestRouter
{
    /// <summary>How long the reader role must lie unused before the accept thread takes it.</summary>
    private const int AcceptorIdleMs = 20;

    /// <summary>
    /// How often the accept thread looks while a connection thread holds the reader role: that reader routes
    /// Connects to it, so it only has to notice, eventually, that the role fell free. Rare, so an idle server
    /// is not woken fifty times a second.
    /// </summary>
    private const int AcceptorCheckMs = 250;

    /// <summary>Connect messages the accept thread may have waiting; more are dropped (a flood must not grow memory).</summary>
    private const int MaxPendingConnects = 1024;

    private readonly int _mqd;          // non-blocking, read-write: drains, wake-ups, attributes
    private readonly int _readerMqd;    // blocking, read-only: where the reader waits
    private readonly string _queueName;
    private readonly long _mailboxLimit;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<uint, MqParticipant> _connections = new();
    private readonly List<MqParticipant> _waiting = new();
    private readonly MqParticipant _acceptor;
    private MqParticipant? _reader;
    private long _epoch; // bumps whenever the reader role changes hands
    private int _references = 1;

    /// <summary>
    /// Takes ownership of both descriptors of the request queue: <paramref name="mqd"/> non-blocking and
    /// read-write, <paramref name="readerMqd"/> blocking and read-only.
    /// </summary>
    public MqRequestRouter(int mqd, int readerMqd, string queueName, int messageSize, long mailboxLimit, ILogger logger)
    {
        int wake = Interop.Pipe.EventFd(0, Interop.Pipe.EFD_CLOEXEC | Interop.Pipe.EFD_NONBLOCK);
        if (wake < 0)
        {
            throw Interop.LastError("eventfd");
        }
        _mqd = mqd;
        _readerMqd = readerMqd;
        _queueName = queueName;
        MessageSize = messageSize;
        _mailboxLimit = mailboxLimit;
        _logger = logger;
        _acceptor = new MqParticipant(0, wake, -1, messageSize);
    }

    /// <summary>How long the reader blocks before it asks its client's pidfd; tests lengthen it to prove that only the wake-up message ends a wait.</summary>
    internal int LivenessSliceMs { get; set; } = MqClientChannel.DefaultLivenessSliceMs;

    /// <summary>The request queue's message size (mq_msgsize).</summary>
    public int MessageSize { get; }

    /// <summary>Takes a reference; false once the router is closed.</summary>
    public bool AddRef()
    {
        lock (_gate)
        {
            if (_references == 0)
            {
                return false;
            }
            _references++;
            return true;
        }
    }

    /// <summary>Drops a reference; the last one closes the queue descriptor.</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (--_references != 0)
            {
                return;
            }
        }
        Interop.Mqueue.Close(_mqd);
        Interop.Mqueue.Close(_readerMqd);
        Interop.Pipe.Close(_acceptor.WakeFd);
    }

    /// <summary>Routes messages carrying <paramref name="connection"/> to <paramref name="participant"/> from now on.</summary>
    public bool Register(uint connection, MqParticipant participant)
    {
        lock (_gate)
        {
            return _connections.TryAdd(connection, participant);
        }
    }

    public bool IsRegistered(uint connection)
    {
        lock (_gate)
        {
            return _connections.ContainsKey(connection);
        }
    }

    /// <summary>Forgets a connection: later messages for it are dropped; its mailbox goes back to the pool.</summary>
    public void Remove(uint connection, MqParticipant participant)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            LeaveLocked(participant);
            foreach ((byte[] buffer, _, _) in participant.Mailbox)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            participant.Mailbox.Clear();
            participant.MailboxBytes = 0;
        }
        ReturnLent(participant);
    }

    /// <summary>Makes <paramref name="participant"/> notice it was stopped, also while it waits as the reader.</summary>
    public void Wake(MqParticipant participant)
    {
        lock (_gate)
        {
            if (_references != 0)
            {
                WakeReaderLocked(participant);
            }
        }
    }

    /// <summary>
    /// The reader waits in the kernel's message-queue receive, which only a message ends: if
    /// <paramref name="participant"/> is the reader, put a wake-up in the queue (connection 0, Bye — a
    /// kind no Connect can be confused with), at a priority that overtakes everything. A full queue needs
    /// none: the reader is not waiting then, and it looks at its state after every message.
    /// </summary>
    private void WakeReaderLocked(MqParticipant participant)
    {
        if (_reader != participant)
        {
            return;
        }
        byte* wake = stackalloc byte[QueueMessage.HeaderSize];
        QueueMessage.WriteHeader(new Span<byte>(wake, QueueMessage.HeaderSize), 0, QueueMessageKind.Bye);
        Interop.Mqueue.Send(_mqd, wake, QueueMessage.HeaderSize, Interop.Mqueue.WakePriority);
    }

    /// <summary>Makes the accept thread's <see cref="AcceptNext"/> return false.</summary>
    public void StopAccepting()
    {
        lock (_gate)
        {
            _acceptor.Stopped = true;
            if (_references != 0)
            {
                _acceptor.Signal();
                WakeReaderLocked(_acceptor);
            }
        }
    }

    /// <summary>
    /// A connection thread's next message (valid until its next call); false once the participant is
    /// stopped or its client has exited. Throws <see cref="TimeoutException"/> past <paramref name="deadline"/>.
    /// </summary>
    public bool Next(MqParticipant participant, long deadline, out ReadOnlySpan<byte> message)
    {
        ReturnLent(participant);
        while (true)
        {
            bool hasMail;
            lock (_gate)
            {
                hasMail = participant.Mailbox.Count != 0;
            }
            if (hasMail)
            {
                // Another reader left messages here; what still waits in the kernel queue may outrank them.
                // Take that out first (any thread may receive: the reader role only says who blocks), then
                // the best of the mailbox.
                DrainQueue(participant);
                lock (_gate)
                {
                    // Off to work: no longer waiting for the role, and not holding it (it may have been handed
                    // over meanwhile) — a busy thread must never keep others' messages unread.
                    LeaveLocked(participant);
                    TakeFromMailboxLocked(participant, out message);
                    return true;
                }
            }
            bool reader;
            lock (_gate)
            {
                if (participant.Mailbox.Count != 0)
                {
                    continue;
                }
                if (participant.Overflowed)
                {
                    LeaveLocked(participant);
                    throw ThrowHelper.Protocol($"the client sent more than {_mailboxLimit} bytes ahead of the server");
                }
                if (participant.Stopped || participant.PeerGone)
                {
                    LeaveLocked(participant);
                    message = default;
                    return false;
                }
                reader = TakeRoleLocked(participant);
            }
            if (reader)
            {
                if (ReadAsReader(participant, deadline, out message))
                {
                    return true;
                }
            }
            else
            {
                WaitAsFollower(participant, deadline);
            }
        }
    }

    /// <summary>Moves everything the kernel queue holds now into mailboxes (this participant's own included).</summary>
    private void DrainQueue(MqParticipant me)
    {
        uint priority;
        fixed (byte* buffer = me.ReceiveBuffer)
        {
            while (true)
            {
                nint received = Interop.Mqueue.Receive(_mqd, buffer, (nuint)me.ReceiveBuffer.Length, &priority);
                if (received < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Interop.Mqueue.EINTR)
                    {
                        continue;
                    }
                    return; // EAGAIN: drained; anything else the reader will report
                }
                var incoming = new ReadOnlySpan<byte>(buffer, (int)received);
                if (IsReaderWake(incoming))
                {
                    // Meant for the blocked reader, not for us: put it back and leave the rest to the reader.
                    Interop.Mqueue.Send(_mqd, buffer, (nuint)received, priority);
                    return;
                }
                Route(me, incoming, priority, keepOwn: false);
            }
        }
    }

    /// <summary>Messages waiting for connections: in mailboxes, then in the kernel queue (a test's view).</summary>
    public long PendingMessages()
    {
        long inMailboxes;
        lock (_gate)
        {
            // Mailboxes first: a message moving from the queue into a mailbox meanwhile is missed, never counted twice.
            inMailboxes = _acceptor.Mailbox.Count;
            foreach (MqParticipant participant in _connections.Values)
            {
                inMailboxes += participant.Mailbox.Count;
            }
            if (_references == 0)
            {
                return inMailboxes;
            }
            return inMailboxes + Interop.Mqueue.Attributes(_mqd).CurrentMessages;
        }
    }

    /// <summary>The accept thread's next message for connection 0; false once accepting stops.</summary>
    public bool AcceptNext(out ReadOnlySpan<byte> message)
    {
        MqParticipant me = _acceptor;
        ReturnLent(me);
        long seenFree = -1;
        while (true)
        {
            bool reader = false;
            int waitMs = AcceptorIdleMs;
            lock (_gate)
            {
                if (TakeFromMailboxLocked(me, out message))
                {
                    return true;
                }
                if (me.Stopped)
                {
                    LeaveLocked(me);
                    return false;
                }
                if (_reader == me)
                {
                    reader = true;
                }
                else if (_reader is null && (_connections.Count == 0 || _epoch == seenFree))
                {
                    // Nobody has wanted the queue for a whole idle period (or nobody is connected at all).
                    _reader = me;
                    _epoch++;
                    reader = true;
                }
                else
                {
                    seenFree = _reader is null ? _epoch : -1;
                    waitMs = _reader is null ? AcceptorIdleMs : AcceptorCheckMs;
                }
            }
            if (reader)
            {
                if (ReadAsReader(me, long.MaxValue, out message))
                {
                    return true;
                }
                continue;
            }
            Interop.Pipe.PollFd wait = new() { Fd = me.WakeFd, Events = Interop.Pipe.POLLIN };
            if (Interop.Pipe.Poll(&wait, 1, waitMs) > 0)
            {
                me.DrainWake();
            }
        }
    }

    private static bool TakeFromMailboxLocked(MqParticipant participant, out ReadOnlySpan<byte> message)
    {
        if (participant.Mailbox.Count != 0)
        {
            (byte[] Buffer, int Length, uint _) queued = participant.Mailbox[0];
            participant.Mailbox.RemoveAt(0);
            participant.MailboxBytes -= queued.Length;
            participant.Lent = queued.Buffer;
            message = new ReadOnlySpan<byte>(queued.Buffer, 0, queued.Length);
            return true;
        }
        message = default;
        return false;
    }

    private static void ReturnLent(MqParticipant participant)
    {
        if (participant.Lent is { } lent)
        {
            participant.Lent = null;
            ArrayPool<byte>.Shared.Return(lent);
        }
    }

    private bool TakeRoleLocked(MqParticipant participant)
    {
        if (_reader == participant)
        {
            return true; // handed over by the previous reader
        }
        if (_reader is null)
        {
            _reader = participant;
            _epoch++;
            return true;
        }
        if (!participant.Waiting)
        {
            participant.Waiting = true;
            _waiting.Add(participant);
        }
        if (_reader == _acceptor)
        {
            WakeReaderLocked(_acceptor); // a connection thread is back: the accept thread hands the role over
        }
        return false;
    }

    private void LeaveLocked(MqParticipant participant)
    {
        if (participant.Waiting)
        {
            participant.Waiting = false;
            _waiting.Remove(participant);
        }
        if (_reader == participant)
        {
            ReleaseRoleLocked(participant);
        }
    }

    private void ReleaseRole(MqParticipant participant)
    {
        lock (_gate)
        {
            ReleaseRoleLocked(participant);
        }
    }

    private void ReleaseRoleLocked(MqParticipant participant)
    {
        if (_reader != participant)
        {
            return;
        }
        _epoch++;
        if (_waiting.Count > 0)
        {
            MqParticipant next = _waiting[0];
            _waiting.RemoveAt(0);
            next.Waiting = false;
            _reader = next;
            next.Signal();
            return;
        }
        _reader = null;
    }

    /// <summary>
    /// Reads the queue as its only reader until a message for <paramref name="me"/> arrives (true, role
    /// released) or the role must go (false: stopped, client gone, mail from another thread's drain, or the
    /// accept thread yielding to a connection). It blocks in <c>mq_timedreceive</c> itself — no poll in
    /// front of it, so a request costs the kernel what it costs in C — in slices of
    /// <see cref="MqClientChannel.DefaultLivenessSliceMs"/>, after which it asks the client's pidfd.
    /// </summary>
    private bool ReadAsReader(MqParticipant me, long deadline, out ReadOnlySpan<byte> message)
    {
        message = default;
        bool acceptor = me == _acceptor;
        uint priority;
        bool checkState = false; // the caller took the role under the lock, having just checked the same
        fixed (byte* buffer = me.ReceiveBuffer)
        {
            while (true)
            {
                if (checkState)
                {
                    lock (_gate)
                    {
                        if (me.Stopped || (acceptor && _waiting.Count > 0) || me.Mailbox.Count != 0)
                        {
                            ReleaseRoleLocked(me);
                            return false;
                        }
                    }
                }
                checkState = true;
                int sliceMs = (int)Math.Min(LivenessSliceMs, Math.Max(0, deadline - Environment.TickCount64));
                Interop.Mqueue.Timespec until = Interop.Mqueue.Deadline(sliceMs);
                nint received = Interop.Mqueue.TimedReceive(_readerMqd, buffer, (nuint)me.ReceiveBuffer.Length, &priority, &until);
                if (received >= 0)
                {
                    var incoming = new ReadOnlySpan<byte>(buffer, (int)received);
                    // The common case needs no lookup: our own message, nothing waiting in our mailbox that
                    // could outrank it (only other threads' drains fill it while we read; the lock-free look
                    // may miss one just landing, which then comes next, a priority inversion of one message).
                    if (received >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(incoming) == me.Connection && !IsReaderWake(incoming)
                        && Volatile.Read(ref me.MailboxBytes) == 0)
                    {
                        ReleaseRole(me);
                        message = incoming;
                        return true;
                    }
                    if (Route(me, incoming, priority, keepOwn: true))
                    {
                        ReleaseRole(me);
                        message = incoming;
                        return true;
                    }
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Mqueue.EINTR)
                {
                    continue;
                }
                if (errno != Interop.Mqueue.ETIMEDOUT)
                {
                    ReleaseRole(me);
                    throw Interop.LastError("mq_timedreceive", _queueName);
                }
                if (me.PeerPidfd >= 0 && Interop.Pipe.PollOne(me.PeerPidfd, Interop.Pipe.POLLIN, 0) != 0)
                {
                    me.PeerGone = true;
                    ReleaseRole(me);
                    return false;
                }
                if (Environment.TickCount64 >= deadline)
                {
                    ReleaseRole(me);
                    throw new TimeoutException("no message within the receive timeout");
                }
            }
        }
    }

    /// <summary>
    /// Delivers a message read by <paramref name="reader"/>. True when it is the reader's own and
    /// <paramref name="keepOwn"/> allows handing it out at once (its mailbox is empty, so nothing outranks it);
    /// otherwise it is copied into its participant's mailbox, or dropped (unknown connection, or a mailbox
    /// over its limit). Only the connection id is read here; the owner validates the rest.
    /// </summary>
    private bool Route(MqParticipant reader, ReadOnlySpan<byte> incoming, uint priority, bool keepOwn)
    {
        uint connection = incoming.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(incoming) : uint.MaxValue;
        if (IsReaderWake(incoming))
        {
            return false; // the caller looks at its state again
        }
        lock (_gate)
        {
            MqParticipant? target = connection == 0 ? _acceptor : _connections.GetValueOrDefault(connection);
            if (target == reader && keepOwn && reader.Mailbox.Count == 0)
            {
                return true;
            }
            if (target == _acceptor && target.Mailbox.Count >= MaxPendingConnects)
            {
                target = null; // a Connect flood: drop the excess, keep accepting
            }
            if (target is not null && !target.Overflowed)
            {
                if (target.MailboxBytes + incoming.Length > _mailboxLimit)
                {
                    target.Overflowed = true; // the owner closes the connection
                    target.Signal();
                    WakeReaderLocked(target);
                    return false;
                }
                byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, incoming.Length));
                incoming.CopyTo(copy);
                List<(byte[] Buffer, int Length, uint Priority)> mailbox = target.Mailbox;
                int at = mailbox.Count;
                while (at > 0 && mailbox[at - 1].Priority < priority)
                {
                    at--;
                }
                mailbox.Insert(at, (copy, incoming.Length, priority));
                target.MailboxBytes += incoming.Length;
                if (target != reader)
                {
                    target.Signal();
                    WakeReaderLocked(target); // a drain on another thread took the reader's own message
                }
                return false;
            }
        }
        Log.QueueMessageDropped(_logger, _queueName, connection, incoming.Length);
        return false;
    }

    private static bool IsReaderWake(ReadOnlySpan<byte> incoming)
        => incoming.Length == QueueMessage.HeaderSize && BinaryPrimitives.ReadUInt32LittleEndian(incoming) == 0 && incoming[4] == (byte)QueueMessageKind.Bye;

    private void WaitAsFollower(MqParticipant me, long deadline)
    {
        Interop.Pipe.PollFd* fds = stackalloc Interop.Pipe.PollFd[2];
        fds[0] = new Interop.Pipe.PollFd { Fd = me.WakeFd, Events = Interop.Pipe.POLLIN };
        fds[1] = new Interop.Pipe.PollFd { Fd = me.PeerPidfd, Events = Interop.Pipe.POLLIN };
        int ready = Interop.Pipe.Poll(fds, 2, TimeoutFrom(deadline));
        if (ready == 0)
        {
            lock (_gate)
            {
                LeaveLocked(me);
            }
            throw new TimeoutException("no message within the receive timeout");
        }
        if (ready < 0)
        {
            if (Marshal.GetLastPInvokeError() == Interop.Pipe.EINTR)
            {
                return;
            }
            throw Interop.LastError("poll");
        }
        if (fds[0].Revents != 0)
        {
            me.DrainWake();
        }
        if (fds[1].Revents != 0)
        {
            me.PeerGone = true;
        }
    }

    private static int TimeoutFrom(long deadline)
        => deadline == long.MaxValue ? -1 : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
}
