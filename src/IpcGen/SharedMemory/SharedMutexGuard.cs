namespace IpcGen;

/// <summary>
/// Proof that a <see cref="SharedMutex"/> (or a region's lock) is held; disposing it releases the lock.
/// Use it with <c>using</c>, or dispose it in a <c>finally</c>, so an exception cannot leave the lock held.
/// </summary>
/// <remarks>
/// It remembers the thread that took the lock, so it may be released from another thread (after an
/// <c>await</c>). Dispose it exactly once: a second release throws <see cref="SynchronizationLockException"/>.
/// A default guard holds nothing and disposing it does nothing.
/// </remarks>
public readonly unsafe struct SharedMutexGuard : IDisposable
{
    private readonly int* _word;
    private readonly int _owner;

    internal SharedMutexGuard(int* word, int owner, bool ownerDied)
    {
        _word = word;
        _owner = owner;
        OwnerDied = ownerDied;
    }

    /// <summary>
    /// True when the previous owner died holding the lock and this guard took it over: what the lock
    /// protects may be half-updated, so check or repair it before relying on it.
    /// </summary>
    public bool OwnerDied { get; }

    /// <summary>Whether this guard was returned by a successful acquisition (false for <c>default</c>).</summary>
    public bool IsAcquired => _word != null;

    /// <summary>Releases the lock and wakes one waiter if any sleeps.</summary>
    public void Dispose()
    {
        if (_word != null)
        {
            SharedMutexCore.Release(_word, _owner);
        }
    }
}
