using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IpcGen;

/// <summary>
/// A lock that processes share: a 32-bit word inside shared memory (a field of a <see cref="SharedStructAttribute"/>
/// struct, or the header of every <see cref="SharedRegion{T}"/>), taken with a compare-and-swap and slept on
/// with a shared <c>futex</c>. It is robust: the word holds the owner's kernel thread id, so when the owner
/// dies holding it (killed, crashed, thread ended) the next locker takes it over and is told so through
/// <see cref="SharedMutexGuard.OwnerDied"/>.
/// </summary>
/// <remarks>
/// A mutable struct on purpose: it is only ever used in place, through a reference into the mapped memory
/// (<c>region.Value.Gate.Lock()</c>). A copy is a different lock. Not reentrant: a thread that locks it
/// twice waits for itself. Both processes must share a pid namespace, where thread ids mean the same thing.
/// Word layout: bits 0–29 owner tid (Linux tids are below 2^22), bit 31 "a thread may be sleeping".
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 4)]
public struct SharedMutex
{
    private int _word;

    /// <summary>Whether some thread holds the lock at this instant (a hint: it may change right after).</summary>
    public readonly bool IsLocked => (Volatile.Read(ref Unsafe.AsRef(in _word)) & SharedMutexCore.OwnerMask) != 0;

    /// <summary>
    /// Takes the lock, waiting as long as another live thread holds it. Dispose the guard to release it
    /// (<c>using (mutex.Lock()) { ... }</c>). When the previous owner died holding it, the lock is taken
    /// over and <see cref="SharedMutexGuard.OwnerDied"/> is true: the data it protects may be half-updated.
    /// </summary>
    public unsafe SharedMutexGuard Lock()
    {
        int* word = (int*)Unsafe.AsPointer(ref _word);
        SharedMutexCore.TryAcquire(word, Timeout.Infinite, out SharedMutexGuard guard);
        return guard;
    }

    /// <summary>
    /// Takes the lock if it can within <paramref name="timeout"/> (<see cref="TimeSpan.Zero"/>: only if it is free,
    /// <see cref="Timeout.InfiniteTimeSpan"/>: no limit). Returns false, with a default guard, on timeout.
    /// </summary>
    public unsafe bool TryLock(TimeSpan timeout, out SharedMutexGuard guard)
    {
        long milliseconds = (long)timeout.TotalMilliseconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(milliseconds, -1L, nameof(timeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(milliseconds, int.MaxValue, nameof(timeout));
        int* word = (int*)Unsafe.AsPointer(ref _word);
        return SharedMutexCore.TryAcquire(word, (int)milliseconds, out guard);
    }
}

/// <summary>The lock protocol over a raw shared word, shared by <see cref="SharedMutex"/> and the region header.</summary>
internal static unsafe class SharedMutexCore
{
    internal const int OwnerMask = 0x3FFF_FFFF;
    internal const int Waiters = unchecked((int)0x8000_0000);

    /// <summary>How long one futex sleep lasts before the owner's life is checked: how soon a death is noticed.</summary>
    private const int LivenessCheckMs = 100;

    /// <summary>Few spins: on a two-core machine the owner may need the very core we would burn.</summary>
    private const int SpinIterations = 12;

    [ThreadStatic]
    private static int t_threadId;

    internal static int CurrentThreadId
    {
        get
        {
            int id = t_threadId;
            if (id == 0)
            {
                t_threadId = id = Interop.SharedRegion.GetThreadId();
            }
            return id;
        }
    }

    public static bool TryAcquire(int* word, int timeoutMs, out SharedMutexGuard guard)
    {
        int me = CurrentThreadId;
        if (Interlocked.CompareExchange(ref *word, me, 0) == 0)
        {
            guard = new SharedMutexGuard(word, me, ownerDied: false);
            return true;
        }
        return AcquireContended(word, me, timeoutMs, out guard);
    }

    private static bool AcquireContended(int* word, int me, int timeoutMs, out SharedMutexGuard guard)
    {
        var spinner = new SpinWait();
        for (int i = 0; i < SpinIterations && timeoutMs != 0; i++)
        {
            if (Volatile.Read(ref *word) == 0 && Interlocked.CompareExchange(ref *word, me, 0) == 0)
            {
                guard = new SharedMutexGuard(word, me, ownerDied: false);
                return true;
            }
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        long start = timeoutMs > 0 ? Stopwatch.GetTimestamp() : 0;
        while (true)
        {
            int observed = Volatile.Read(ref *word);
            if (observed == 0)
            {
                // Someone else may still sleep on the word: keep the flag so our release wakes them.
                if (Interlocked.CompareExchange(ref *word, me | Waiters, 0) == 0)
                {
                    guard = new SharedMutexGuard(word, me, ownerDied: false);
                    return true;
                }
                continue;
            }

            int owner = observed & OwnerMask;
            if (owner != me && Interop.SharedRegion.IsTaskDead(owner))
            {
                if (Interlocked.CompareExchange(ref *word, me | Waiters, observed) == observed)
                {
                    guard = new SharedMutexGuard(word, me, ownerDied: true);
                    return true;
                }
                continue;
            }

            int remaining = Remaining(timeoutMs, start);
            if (remaining == 0)
            {
                guard = default;
                return false;
            }
            if ((observed & Waiters) == 0 && Interlocked.CompareExchange(ref *word, observed | Waiters, observed) != observed)
            {
                continue;
            }
            int sleep = remaining < 0 ? LivenessCheckMs : Math.Min(remaining, LivenessCheckMs);
            Interop.Futex.Wait(word, observed | Waiters, sleep);
        }
    }

    private static int Remaining(int timeoutMs, long start)
    {
        if (timeoutMs < 0)
        {
            return -1;
        }
        long elapsed = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return (int)Math.Max(0, timeoutMs - elapsed);
    }

    public static void Release(int* word, int owner)
    {
        while (true)
        {
            int observed = Volatile.Read(ref *word);
            if ((observed & OwnerMask) != owner)
            {
                throw new SynchronizationLockException(
                    $"The shared mutex is not held by thread {owner} (its word is 0x{observed:x8}): it was released twice, or released through a copy of the guard after another thread took it.");
            }
            if (Interlocked.CompareExchange(ref *word, 0, observed) == observed)
            {
                if ((observed & Waiters) != 0)
                {
                    Interop.Futex.Wake(word, 1);
                }
                return;
            }
        }
    }
}
