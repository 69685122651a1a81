namespace IpcGen.Transports;

/// <summary>
/// The lock senders of one channel take turns under: one compare-and-swap to take it and one atomic
/// decrement to let it go when nobody waits, no runtime call and no thread-local lookup (a call on
/// shared memory takes it once per send, on its critical path). A sender that finds it taken
/// spins briefly, then sleeps on a monitor until woken. State: 0 free, 1 taken, 2 taken with
/// (possibly) a sleeper. Not reentrant: it is held only while a frame is copied to the transport,
/// never while user code runs.
/// </summary>
internal sealed class SendLock
{
    private readonly object _gate = new();
    private int _state;

    public bool TryEnter() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    private void EnterContended()
    {
        var spinner = new SpinWait();
        while (!spinner.NextSpinWillYield)
        {
            if (Volatile.Read(ref _state) == 0 && Interlocked.CompareExchange(ref _state, 1, 0) == 0)
            {
                return;
            }
            spinner.SpinOnce();
        }
        // Announce a sleeper (2), then sleep until the holder lets go; we leave holding it marked 2, since
        // another may still sleep, which costs the next release one wake-up at most.
        while (Interlocked.Exchange(ref _state, 2) != 0)
        {
            lock (_gate)
            {
                if (Volatile.Read(ref _state) == 2)
                {
                    Monitor.Wait(_gate, 100); // the timeout only bounds a wake-up lost to a lock-free release
                }
            }
        }
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _state) != 0)
        {
            Volatile.Write(ref _state, 0);
            lock (_gate)
            {
                Monitor.Pulse(_gate);
            }
        }
    }
}
