using System.Runtime.CompilerServices;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// One direction of a connection: a single-producer/single-consumer byte ring in shared memory. This
/// process is either its producer or its consumer, never both. Our own position is kept in a private
/// field and only published; the other side's position is read once per operation and validated
/// (0 ≤ produced − consumed ≤ capacity), so a peer scribbling on the segment can make us close the
/// connection but never read or write outside the ring.
/// </summary>
internal sealed unsafe class SharedMemoryRing
{
    private const int SpinIterations = 10_000; // about 20-50 µs before yielding
    private const int YieldIterations = 8;

    private readonly byte* _control;
    private readonly byte* _data;
    private readonly int _capacity;
    private readonly int _mask;
    private readonly IpcWaitStrategy _strategy;
    private readonly SharedMemoryChannel _owner;
    private long _position;     // ours: produced (producer side) or consumed (consumer side)
    private long _cachedRemote; // the other side's position when we last looked

    public SharedMemoryRing(byte* ring, int capacity, IpcWaitStrategy strategy, SharedMemoryChannel owner)
    {
        _control = ring;
        _data = ring + SharedMemoryLayout.RingControlSize;
        _capacity = capacity;
        _mask = capacity - 1;
        _strategy = strategy;
        _owner = owner;
    }

    private long* ProducerPosition => (long*)(_control + SharedMemoryLayout.ProducerPositionOffset);
    private long* ConsumerPosition => (long*)(_control + SharedMemoryLayout.ConsumerPositionOffset);
    private int* DataSignal => (int*)(_control + SharedMemoryLayout.DataSignalOffset);
    private int* ConsumerSleeping => (int*)(_control + SharedMemoryLayout.ConsumerSleepingOffset);
    private int* SpaceSignal => (int*)(_control + SharedMemoryLayout.SpaceSignalOffset);
    private int* ProducerSleeping => (int*)(_control + SharedMemoryLayout.ProducerSleepingOffset);

    /// <summary>Consumer: copies what is available (at least one byte) into <paramref name="destination"/>; 0 once closed.</summary>
    public int Read(Span<byte> destination)
    {
        while (true)
        {
            long available = Available();
            if (available > 0)
            {
                int count = (int)Math.Min(available, destination.Length);
                int start = (int)(_position & _mask);
                int first = Math.Min(count, _capacity - start);
                new ReadOnlySpan<byte>(_data + start, first).CopyTo(destination);
                if (first < count)
                {
                    new ReadOnlySpan<byte>(_data, count - first).CopyTo(destination.Slice(first));
                }
                _position += count;
                Volatile.Write(ref *ConsumerPosition, _position); // release: the bytes are ours to reuse
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref *ProducerSleeping) != 0)
                {
                    Interlocked.Increment(ref *SpaceSignal);
                    Interop.Futex.Wake(SpaceSignal);
                }
                return count;
            }
            if (_owner.IsClosed)
            {
                return 0;
            }
            Wait(DataSignal, ConsumerSleeping, forData: true);
        }
    }

    /// <summary>Producer: copies all of <paramref name="source"/> into the ring, waiting for space as needed.</summary>
    public void Write(ReadOnlySpan<byte> source)
    {
        while (!source.IsEmpty)
        {
            long free = Free();
            if (free == 0)
            {
                if (_owner.IsClosed)
                {
                    throw new IpcDisconnectedException("The shared-memory connection is closed.");
                }
                Wait(SpaceSignal, ProducerSleeping, forData: false);
                continue;
            }
            int count = (int)Math.Min(free, source.Length);
            int start = (int)(_position & _mask);
            int first = Math.Min(count, _capacity - start);
            source.Slice(0, first).CopyTo(new Span<byte>(_data + start, first));
            if (first < count)
            {
                source.Slice(first, count - first).CopyTo(new Span<byte>(_data, count - first));
            }
            _position += count;
            Volatile.Write(ref *ProducerPosition, _position); // release: payload first, then the position
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref *ConsumerSleeping) != 0)
            {
                Interlocked.Increment(ref *DataSignal);
                Interop.Futex.Wake(DataSignal);
            }
            source = source.Slice(count);
        }
    }

    /// <summary>
    /// Bytes the producer has published beyond our consumer position. The other side's position is
    /// cached: the shared line (another core's cache line, a miss every time) is read again only when
    /// the cached value says there is nothing left. Every value read is validated: it only moves
    /// forward and stays within one ring of ours.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Available()
    {
        long available = _cachedRemote - _position;
        return available > 0 ? available : RefreshAvailable();
    }

    private long RefreshAvailable()
    {
        long produced = Volatile.Read(ref *ProducerPosition);
        long available = produced - _position;
        if ((ulong)available > (ulong)_capacity || produced < _cachedRemote)
        {
            throw new IpcProtocolException($"shared-memory ring corrupted: producer position {produced}, consumer position {_position}");
        }
        _cachedRemote = produced;
        return available;
    }

    /// <summary>Free space the consumer has given back; the consumer's position is cached likewise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Free()
    {
        long free = _capacity - (_position - _cachedRemote);
        return free > 0 ? free : RefreshFree();
    }

    private long RefreshFree()
    {
        long consumed = Volatile.Read(ref *ConsumerPosition);
        long used = _position - consumed;
        if ((ulong)used > (ulong)_capacity || consumed < _cachedRemote)
        {
            throw new IpcProtocolException($"shared-memory ring corrupted: producer position {_position}, consumer position {consumed}");
        }
        _cachedRemote = consumed;
        return _capacity - used;
    }

    private bool Ready(bool forData) => forData ? Available() > 0 : Free() > 0;

    /// <summary>
    /// Waits until the other side has moved (data to read or space to write) or the connection closes,
    /// by the strategy: spin, yield, then sleep on the futex word after announcing it in the sleeping
    /// flag (a full fence between the flag and the last look, so the other side's wake is never lost).
    /// </summary>
    private void Wait(int* signal, int* sleeping, bool forData)
    {
        if (_strategy != IpcWaitStrategy.Blocking)
        {
            // One pause per look: the other side's store is seen within a few dozen nanoseconds.
            int spins = _strategy == IpcWaitStrategy.Spin ? int.MaxValue : SpinIterations;
            for (int i = 0; i < spins; i++)
            {
                if (Ready(forData) || _owner.IsClosed)
                {
                    return;
                }
                Thread.SpinWait(1);
            }
            for (int i = 0; i < YieldIterations; i++)
            {
                if (Ready(forData) || _owner.IsClosed)
                {
                    return;
                }
                Thread.Yield();
            }
        }

        int observed = Volatile.Read(ref *signal);
        Interlocked.Exchange(ref *sleeping, 1);
        try
        {
            if (Ready(forData) || _owner.IsClosed)
            {
                return;
            }
            Interop.Futex.Wait(signal, observed, timeoutMs: -1);
        }
        finally
        {
            Volatile.Write(ref *sleeping, 0);
        }
    }

    /// <summary>Wakes a thread of this process asleep on this ring (the connection is closing).</summary>
    public void WakeLocalWaiters()
    {
        Interlocked.Increment(ref *DataSignal);
        Interop.Futex.Wake(DataSignal);
        Interlocked.Increment(ref *SpaceSignal);
        Interop.Futex.Wake(SpaceSignal);
    }
}
