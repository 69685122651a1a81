namespace IpcGen.Runtime;

/// <summary>
/// The blocking wait of a synchronous call: spin briefly (the answer is often microseconds away), then
/// sleep on a monitor. Unlike <see cref="ManualResetEventSlim"/>, which allocates its lock object on the
/// first wait that blocks, everything here exists from construction, so a pooled call never allocates
/// in steady state. The completer pulses only when the waiter has said it sleeps.
/// </summary>
internal sealed class CallWaiter
{
    private readonly object _gate = new();
    private int _completed;
    private int _sleeping;

    public void Reset() => Volatile.Write(ref _completed, 0);

    public bool IsSet => Volatile.Read(ref _completed) != 0;

    public void Set()
    {
        Interlocked.Exchange(ref _completed, 1);
        if (Volatile.Read(ref _sleeping) != 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Completes a wait nobody can be asleep in: the waiting thread itself read the answer (it is the
    /// connection's reader), so a plain ordered store does, without <see cref="Set"/>'s atomic exchange.
    /// </summary>
    public void SetByWaiter() => Volatile.Write(ref _completed, 1);

    /// <summary>Waits for <see cref="Set"/>; false on timeout. Throws if the token is cancelled first.</summary>
    public bool Wait(int timeoutMs, CancellationToken cancellationToken)
    {
        var spinner = new SpinWait();
        while (!spinner.NextSpinWillYield)
        {
            if (Volatile.Read(ref _completed) != 0)
            {
                return true;
            }
            spinner.SpinOnce();
        }

        CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CallWaiter)state!).Wake(), this)
            : default;
        try
        {
            long deadline = timeoutMs == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMs;
            lock (_gate)
            {
                // Full fence between saying we sleep and the last look at _completed: a Set either sees
                // _sleeping and pulses under the lock, or we see _completed here.
                Interlocked.Exchange(ref _sleeping, 1);
                try
                {
                    while (Volatile.Read(ref _completed) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        long remaining = deadline - Environment.TickCount64;
                        if (remaining <= 0)
                        {
                            return false;
                        }
                        Monitor.Wait(_gate, remaining > int.MaxValue ? Timeout.Infinite : (int)remaining);
                    }
                    return true;
                }
                finally
                {
                    Volatile.Write(ref _sleeping, 0);
                }
            }
        }
        finally
        {
            registration.Dispose();
        }
    }

    private void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
