using System.Runtime.CompilerServices;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// One direction of a connection: a single-producer/single-consumer ring of records in shared memory.
/// This process is either its producer or its consumer, never both.
/// <para>
/// A record is a 16-byte header (<c>i64 tag | i32 length | i32 type</c>) and <c>length</c> content
/// bytes, starting on a 64-byte boundary. The producer writes the content, the length and the type,
/// then publishes the record by storing its tag last: the stream position the record starts at, XORed
/// with the connection's tag key. The consumer polls the tag word of the next record, in the same
/// cache line as the data, so a small message costs one cache-line transfer, and the consumer never
/// writes to a data line. A tag left from an earlier lap names an earlier position, so it never
/// matches. Stale payload bytes where a record now starts match only if they equal that secret
/// 64-bit value (the key is drawn at random per segment, top bit set, so fresh zeroed memory never
/// matches either): about one chance in 2^63 for each record, and even then the record must pass
/// every check below. A record that would cross the end of the ring is preceded by a padding record.
/// </para>
/// <para>
/// The consumer gives space back by publishing its position on its own line, an eighth of the ring at a
/// time and before it waits; the producer reads that line only when its cached copy says the ring is
/// full. Everything read from the other side (tag, length, type, consumer position) is read once into a
/// local, validated against this side's own geometry, and never read again, so a peer scribbling on
/// the segment can make us close the connection but never read or write outside the ring.
/// </para>
/// </summary>
internal sealed unsafe class SharedMemoryRing
{
    public const int RecordAlignment = 64;
    public const int RecordHeaderSize = 16;

    public const int TypeFrame = 1;     // a whole frame
    public const int TypeStart = 2;     // the first piece of a frame larger than one record
    public const int TypeContinue = 3;  // a further piece of that frame
    public const int TypePadding = 4;   // skip to the end of the ring

    private const int SpinIterations = 4_000;  // Adaptive: about 140 µs of looking (a pause each) before yielding
    private const int YieldIterations = 8;
    private const int SpinYieldEvery = 4_096; // Spin, waiting for space: let other threads run now and then, never sleep

    private readonly byte* _control;
    private readonly byte* _data;
    private readonly int _capacity;
    private readonly int _mask;
    private readonly int _maxContent;
    private readonly long _tagKey;
    private readonly IpcWaitStrategy _strategy;
    private readonly int _ownWakeMode;      // what this side announces about its sleeping (WakeMode*)
    private readonly IRingOwner _owner;
    private long _position;         // ours: next record to write (producer) or to read (consumer)
    private long _cachedConsumer;   // producer only: the consumer's position when we last looked
    private int _heldSize;          // consumer only: size of the record handed out and not yet released
    private long _published;        // consumer only: the position last published to the producer

    public SharedMemoryRing(byte* ring, int capacity, long tagKey, IpcWaitStrategy strategy, IRingOwner owner)
    {
        _tagKey = tagKey;
        _control = ring;
        _data = ring + SharedMemoryLayout.RingControlSize;
        _capacity = capacity;
        _mask = capacity - 1;
        _maxContent = MaxContent(capacity);
        _strategy = strategy;
        _ownWakeMode = strategy switch
        {
            IpcWaitStrategy.Spin => WakeModeNeverSleeps,
            IpcWaitStrategy.Adaptive when Interop.Membarrier.Registered => WakeModeBarrierBeforeSleep,
            _ => WakeModeFence,
        };
        _owner = owner;
    }

    // What a side says, in its own line, about how it sleeps, and so what the other side does after each
    // record (or each release of space) to be sure to wake it. A peer that lies only delays its own wake-ups.
    public const int WakeModeFence = 0;              // it may sleep at any wait: fence, then look at its sleeping flag
    public const int WakeModeNeverSleeps = 1;        // Spin: nothing to do
    public const int WakeModeBarrierBeforeSleep = 2; // before it sleeps it issues a process-wide barrier (membarrier):
                                                     // a side whose process is registered looks at the flag without a fence

    /// <summary>The largest record content: a quarter of the ring, so the producer never waits for the whole ring to drain.</summary>
    public static int MaxContent(int capacity) => capacity / 4 - RecordHeaderSize;

    public int MaxRecordContent => _maxContent;

    private long* ConsumerPosition => (long*)(_control + SharedMemoryLayout.ConsumerPositionOffset);
    private int* DataSignal => (int*)(_control + SharedMemoryLayout.DataSignalOffset);
    private int* ConsumerSleeping => (int*)(_control + SharedMemoryLayout.ConsumerSleepingOffset);
    private int* ConsumerWakeMode => (int*)(_control + SharedMemoryLayout.ConsumerWakeModeOffset);
    private int* SpaceSignal => (int*)(_control + SharedMemoryLayout.SpaceSignalOffset);
    private int* ProducerSleeping => (int*)(_control + SharedMemoryLayout.ProducerSleepingOffset);
    private int* ProducerWakeMode => (int*)(_control + SharedMemoryLayout.ProducerWakeModeOffset);

    /// <summary>
    /// Says on our own line how this side sleeps (<see cref="WakeModeFence"/> and the others): a side that
    /// spins (<see cref="IpcWaitStrategy.Spin"/>) spares its peer the fence and the look at the sleeping flag
    /// after every record; an <see cref="IpcWaitStrategy.Adaptive"/> side, which sleeps only after a long
    /// spin, pays a process-wide barrier before it sleeps, which spares its peer the fence.
    /// </summary>
    public void AnnounceConsumer() => Volatile.Write(ref *ConsumerWakeMode, _ownWakeMode);

    /// <inheritdoc cref="AnnounceConsumer"/>
    public void AnnounceProducer() => Volatile.Write(ref *ProducerWakeMode, _ownWakeMode);

    /// <summary>
    /// After publishing (or giving space back): wakes the other side if it may be asleep on <paramref name="signal"/>.
    /// A fence separates our store from the look at its flag, unless it spins, or sleeps only after a
    /// process-wide barrier that this process is registered for (then its barrier orders our store and our
    /// look for it, wherever our thread is); its own fence separates its flag from its last look.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WakeIfAsleep(int* wakeMode, int* sleeping, int* signal)
    {
        int mode = Volatile.Read(ref *wakeMode);
        if (mode == WakeModeNeverSleeps)
        {
            return;
        }
        if (mode != WakeModeBarrierBeforeSleep || !Interop.Membarrier.Registered)
        {
            Interlocked.MemoryBarrier();
        }
        if (Volatile.Read(ref *sleeping) != 0)
        {
            Interlocked.Increment(ref *signal);
            Interop.Futex.Wake(signal);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Align(int size) => (size + (RecordAlignment - 1)) & ~(RecordAlignment - 1);

    // ---------------------------------------------------------------- producer

    /// <summary>
    /// Producer: writes one record of <paramref name="type"/> holding <paramref name="content"/> (at most
    /// <see cref="MaxRecordContent"/> bytes), waiting for space as needed, and publishes it. The content is
    /// copied, then the length, type and tag are stored, back to back: the consumer is polling the record's
    /// first line, and stores to it spread over time would hand that line back and forth between the two
    /// cores once per store that meets the consumer's look (measured: a round trip half again as long).
    /// </summary>
    public void Write(int type, ReadOnlySpan<byte> content)
    {
        while (!TryWrite(type, content))
        {
            WaitForSpace(Needed(content.Length));
        }
    }

    /// <summary>
    /// Producer: writes and publishes one record if there is room for it right now, without waiting; false,
    /// writing nothing, when the ring is too full. <paramref name="content"/> must fit one record
    /// (<see cref="MaxRecordContent"/>). The content, length, type and tag are stored back to back, so the
    /// line the consumer is polling changes hands once (see <see cref="Write"/>).
    /// </summary>
    public bool TryWrite(int type, ReadOnlySpan<byte> content)
    {
        int length = content.Length;
        if ((uint)length > (uint)_maxContent)
        {
            throw new ArgumentOutOfRangeException(nameof(content), length, $"a record holds at most {_maxContent} bytes");
        }
        int size = Align(RecordHeaderSize + length);
        int needed = Needed(length);
        if (_capacity - (_position - _cachedConsumer) < needed)
        {
            RefreshConsumer();
            if (_capacity - (_position - _cachedConsumer) < needed)
            {
                return false;
            }
        }
        int offset = (int)(_position & _mask);
        if (needed > size)
        {
            // Pad to the end of the ring; the record starts again at offset 0.
            Publish(offset, needed - size - RecordHeaderSize, TypePadding);
            _position += needed - size;
            offset = 0;
        }
        content.CopyTo(new Span<byte>(_data + offset + RecordHeaderSize, length));
        Publish(offset, length, type);
        _position += size;
        WakeConsumerIfAsleep();
        return true;
    }

    /// <summary>Bytes a record of <paramref name="length"/> takes from here: its size, and the padding to the end of the ring before it if it would cross that.</summary>
    private int Needed(int length)
    {
        int size = Align(RecordHeaderSize + length);
        int offset = (int)(_position & _mask);
        return offset + size > _capacity ? _capacity - offset + size : size;
    }

    private void RefreshConsumer()
    {
        long consumed = Volatile.Read(ref *ConsumerPosition);
        long used = _position - consumed;
        if ((ulong)used > (ulong)_capacity || consumed < _cachedConsumer)
        {
            throw new IpcProtocolException($"shared-memory ring corrupted: producer position {_position}, consumer position {consumed}");
        }
        _cachedConsumer = consumed;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Publish(int offset, int length, int type)
    {
        byte* record = _data + offset;
        *(int*)(record + 8) = length;
        *(int*)(record + 12) = type;
        Volatile.Write(ref *(long*)record, _position ^ _tagKey); // release: content, length and type first, the tag last
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeConsumerIfAsleep() => WakeIfAsleep(ConsumerWakeMode, ConsumerSleeping, DataSignal);

    private void WaitForSpace(int size)
    {
        while (_capacity - (_position - _cachedConsumer) < size)
        {
            RefreshConsumer();
            if (_capacity - (_position - _cachedConsumer) >= size)
            {
                return;
            }
            if (_owner.IsClosed)
            {
                throw new IpcDisconnectedException("The shared-memory connection is closed.");
            }
            Wait(SpaceSignal, ProducerSleeping, forData: false, size);
        }
    }

    // ---------------------------------------------------------------- consumer

    /// <summary>
    /// Consumer: waits for the next record and returns its type and content, in place in the ring; false
    /// once the connection is closed. The content stays valid and the space stays ours until
    /// <see cref="Release"/>. Padding is skipped here. Throws <see cref="IpcProtocolException"/> for a
    /// record that does not fit this ring.
    /// </summary>
    public bool TryRead(out int type, out byte* content, out int length)
    {
        Release();
        while (true)
        {
            int offset = (int)(_position & _mask);
            byte* record = _data + offset;
            long tag = Volatile.Read(ref *(long*)record); // acquire: the rest of the record is read after it
            if (tag != (_position ^ _tagKey))
            {
                if (_published != _position)
                {
                    PublishConsumed(); // nothing to read now: everything read is given back before we wait
                    continue;
                }
                if (_owner.IsClosed)
                {
                    type = 0;
                    content = null;
                    length = 0;
                    return false;
                }
                if (_strategy == IpcWaitStrategy.Spin)
                {
                    SpinForRecord((long*)record);
                }
                else
                {
                    Wait(DataSignal, ConsumerSleeping, forData: true, offset);
                }
                continue;
            }
            int recordLength = *(int*)(record + 8);
            int recordType = *(int*)(record + 12);
            if ((uint)recordLength > (uint)_maxContent && recordType != TypePadding)
            {
                throw new IpcProtocolException($"shared-memory record of {recordLength} bytes at position {_position} exceeds the record limit ({_maxContent})");
            }
            int size = Align(RecordHeaderSize + recordLength);
            switch (recordType)
            {
                case TypePadding:
                    if (recordLength != _capacity - offset - RecordHeaderSize)
                    {
                        throw new IpcProtocolException($"shared-memory padding record at position {_position} does not end at the end of the ring");
                    }
                    _heldSize = _capacity - offset;
                    Release();
                    continue;
                case TypeFrame:
                case TypeStart:
                case TypeContinue:
                    if (offset + size > _capacity)
                    {
                        throw new IpcProtocolException($"shared-memory record at position {_position} crosses the end of the ring");
                    }
                    _heldSize = size;
                    type = recordType;
                    content = record + RecordHeaderSize;
                    length = recordLength;
                    return true;
                default:
                    throw new IpcProtocolException($"shared-memory record at position {_position} has unknown type {recordType}");
            }
        }
    }

    /// <summary>
    /// Consumer: gives the space of the record last returned by <see cref="TryRead"/> back to the producer. The
    /// position is published once an eighth of the ring has been read since the last time, and always before
    /// <see cref="TryRead"/> waits: a store per record to the line a producer waiting for space polls would
    /// make each of those stores wait for the line (one-way 32-byte messages: 83 ns each instead of 107 ns
    /// with Spin, 113 instead of 143 ns with Blocking). A consumer with nothing left to read has given
    /// everything back, so a producer never waits for space that was read.
    /// </summary>
    public void Release()
    {
        if (_heldSize == 0)
        {
            return;
        }
        _position += _heldSize;
        _heldSize = 0;
        if (_position - _published >= _capacity / 8)
        {
            PublishConsumed();
        }
    }

    private void PublishConsumed()
    {
        _published = _position;
        Volatile.Write(ref *ConsumerPosition, _position); // release: our reads of that space come first
        WakeIfAsleep(ProducerWakeMode, ProducerSleeping, SpaceSignal);
    }

    // ---------------------------------------------------------------- waiting

    /// <summary>
    /// Consumer: whether the record at offset <paramref name="argument"/> is published. Producer: whether
    /// <paramref name="argument"/> bytes are free. The consumer position read here is validated by the
    /// caller's next look, so a hostile value only ends the wait early.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Ready(bool forData, int argument)
        => forData
            ? Volatile.Read(ref *(long*)(_data + argument)) == (_position ^ _tagKey)
            : _capacity - (_position - Volatile.Read(ref *ConsumerPosition)) >= argument;

    /// <summary>
    /// Spin: the tightest look at the tag word there is, a plain load in a loop as the C floor does it, for
    /// the first 1,024 looks (a microsecond or two: an answer usually lands within them, and a pause between
    /// looks would add half its length to every hand-over); after that one pause per look, so that a long
    /// wait leaves the core's other hardware thread some room. The connection's state is checked every
    /// 1,024 looks and the thread yields every 65,536 or so (a few milliseconds). Never sleeps.
    /// </summary>
    private void SpinForRecord(long* tag)
    {
        long expected = _position ^ _tagKey;
        for (int i = 1; Volatile.Read(ref *tag) != expected; i++)
        {
            if ((i & 1023) == 0)
            {
                if (_owner.IsClosed)
                {
                    return;
                }
                if ((i & 65535) == 0)
                {
                    Thread.Yield();
                }
            }
            if (i > 1024)
            {
                Thread.SpinWait(1);
            }
        }
    }

    /// <summary>
    /// Waits until the other side has moved (a record to read, or space to write) or the connection
    /// closes, by the strategy: Spin looks without ever sleeping; Adaptive looks, yields, then sleeps;
    /// Blocking sleeps at once. Sleeping is on the futex word after announcing it in the sleeping flag,
    /// with a full fence between the flag and the last look, so the other side's wake is never lost.
    /// </summary>
    private void Wait(int* signal, int* sleeping, bool forData, int argument)
    {
        if (_strategy == IpcWaitStrategy.Spin)
        {
            for (int i = 1; ; i++)
            {
                if (Ready(forData, argument) || _owner.IsClosed)
                {
                    return;
                }
                if (i % SpinYieldEvery == 0)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.SpinWait(1);
                }
            }
        }
        if (_strategy == IpcWaitStrategy.Adaptive)
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (Ready(forData, argument) || _owner.IsClosed)
                {
                    return;
                }
                Thread.SpinWait(1);
            }
            for (int i = 0; i < YieldIterations; i++)
            {
                if (Ready(forData, argument) || _owner.IsClosed)
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
            // Said WakeModeBarrierBeforeSleep: the other side may have published without a fence, its store
            // still in its core's buffer. The barrier on its CPUs makes it visible to the look below, or makes
            // the other side's look at our flag come after our flag. Should the kernel refuse it, the sleep
            // is bounded instead, so a wake-up lost that way costs a millisecond, never a hang.
            bool barrier = _ownWakeMode != WakeModeBarrierBeforeSleep || Interop.Membarrier.GlobalExpedited();
            if (Ready(forData, argument) || _owner.IsClosed)
            {
                return;
            }
            Interop.Futex.Wait(signal, observed, timeoutMs: barrier ? -1 : 1);
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

/// <summary>What a ring asks of the connection it belongs to.</summary>
internal interface IRingOwner
{
    /// <summary>True once the connection is closing: waits end, reads return false, writes throw.</summary>
    bool IsClosed { get; }
}
