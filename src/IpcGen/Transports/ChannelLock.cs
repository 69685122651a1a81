namespace IpcGen.Transports;

/// <summary>
/// The two roles on one channel, in one word: the sender role, a lock senders take turns under, and the
/// receiver role, held by the one thread reading at a time. A synchronous caller that sends and then reads
/// its own answer takes both with a single compare-and-swap (<see cref="TryEnterBoth"/>); each atomic
/// instruction costs some 10 ns and a call on shared memory has few others on its critical path.
/// <para>
/// Bits 0–1 are the sender state: 0 free, 1 taken, 2 taken with (possibly) a sleeper. Bit 2 is the
/// receiver role. Taking the sender role is one compare-and-swap, letting it go one atomic decrement when
/// nobody waits; a sender that finds it taken spins briefly, then sleeps on a monitor until woken. Not
/// reentrant: the sender role is held only while a frame is copied to the transport, never while user
/// code runs. Taking the receiver role never waits; letting it go is a full fence.
/// </para>
/// </summary>
internal sealed class ChannelLock
{
    private const int SenderMask = 3;
    private const int Receiver = 4;

    private readonly object _gate = new();
    private int _state;

    /// <summary>Takes the sender role if nobody holds it; never waits.</summary>
    public bool TryEnter()
    {
        int state = Volatile.Read(ref _state);
        while ((state & SenderMask) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state | 1, state);
            if (seen == state)
            {
                return true;
            }
            state = seen; // the receiver bit moved meanwhile
        }
        return false;
    }

    /// <summary>Takes the sender role, waiting for it.</summary>
    public void Enter()
    {
        if (!TryEnter())
        {
            EnterContended();
        }
    }

    private void EnterContended()
    {
        var spinner = new SpinWait();
        while (!spinner.NextSpinWillYield)
        {
            if (TryEnter())
            {
                return;
            }
            spinner.SpinOnce();
        }
        // Announce a sleeper (2), then sleep until the holder lets go; we leave holding it marked 2, since
        // another may still sleep, which costs the next release one wake-up at most.
        while (SwapSender(2) != 0)
        {
            lock (_gate)
            {
                if ((Volatile.Read(ref _state) & SenderMask) == 2)
                {
                    Monitor.Wait(_gate, 100); // the timeout only bounds a wake-up lost to a lock-free release
                }
            }
        }
    }

    /// <summary>Sets the sender state to <paramref name="sender"/>, keeping the receiver bit; returns the old sender state.</summary>
    private int SwapSender(int sender)
    {
        int state = Volatile.Read(ref _state);
        while (true)
        {
            int seen = Interlocked.CompareExchange(ref _state, (state & ~SenderMask) | sender, state);
            if (seen == state)
            {
                return state & SenderMask;
            }
            state = seen;
        }
    }

    /// <summary>Lets the sender role go, waking a sleeping sender if there may be one.</summary>
    public void Exit()
    {
        if ((Interlocked.Decrement(ref _state) & SenderMask) != 0)
        {
            // It was 2: clear it and wake one sleeper, which marks it 2 again if others may still sleep.
            Interlocked.And(ref _state, ~SenderMask);
            lock (_gate)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Takes the receiver role if no thread holds it; never waits.</summary>
    public bool TryEnterReceiver()
    {
        int state = Volatile.Read(ref _state);
        while ((state & Receiver) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state | Receiver, state);
            if (seen == state)
            {
                return true;
            }
            state = seen; // the sender state moved meanwhile
        }
        return false;
    }

    /// <summary>Lets the receiver role go: an atomic instruction, so also a full fence.</summary>
    public void ExitReceiver() => Interlocked.Add(ref _state, -Receiver);

    /// <summary>Whether a thread holds the receiver role.</summary>
    public bool ReceiverTaken => (Volatile.Read(ref _state) & Receiver) != 0;

    /// <summary>Takes the sender and the receiver role together, with one compare-and-swap, if both are free.</summary>
    public bool TryEnterBoth() => Interlocked.CompareExchange(ref _state, Receiver | 1, 0) == 0;
}
