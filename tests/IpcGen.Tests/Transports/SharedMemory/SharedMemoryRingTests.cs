using System.Runtime.InteropServices;
using IpcGen.Transports.SharedMemory;

namespace IpcGen.Tests.Transports.SharedMemory;

/// <summary>
/// The ring on its own, over private memory: one thread plays both sides where order must be exact
/// (a closed owner makes an empty read return false and a full write throw instead of waiting), two
/// threads where the waiting itself is under test.
/// </summary>
public sealed unsafe class SharedMemoryRingTests : IDisposable
{
    private const int Capacity = 4096;
    private static readonly long TagKey = SharedMemoryLayout.NewTagKey();
    private readonly byte* _memory;
    private readonly Owner _owner = new();

    public SharedMemoryRingTests()
    {
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)SharedMemoryLayout.RingBlock(Capacity), 4096);
        new Span<byte>(_memory, (int)SharedMemoryLayout.RingBlock(Capacity)).Clear();
    }

    public void Dispose() => NativeMemory.AlignedFree(_memory);

    private sealed class Owner : IRingOwner
    {
        public volatile bool Closed;
        public bool IsClosed => Closed;
    }

    private (SharedMemoryRing Producer, SharedMemoryRing Consumer) Pair(IpcWaitStrategy strategy = IpcWaitStrategy.Adaptive)
        => (new SharedMemoryRing(_memory, Capacity, TagKey, strategy, _owner), new SharedMemoryRing(_memory, Capacity, TagKey, strategy, _owner));

    private static byte[] Record(int number, int length)
    {
        var bytes = new byte[length];
        new Random(number).NextBytes(bytes);
        if (length >= 4)
        {
            BitConverter.TryWriteBytes(bytes, number);
        }
        return bytes;
    }

    private static byte[] ReadOne(SharedMemoryRing consumer)
    {
        Assert.True(consumer.TryRead(out int type, out byte* content, out int length));
        Assert.Equal(SharedMemoryRing.TypeFrame, type);
        return new ReadOnlySpan<byte>(content, length).ToArray();
    }

    [Fact]
    public void Records_of_every_size_wrap_around_the_ring_intact_and_in_order()
    {
        var (producer, consumer) = Pair();
        _owner.Closed = true; // nothing ever waits in this test
        var random = new Random(1);
        for (int i = 0; i < 2_000; i++)
        {
            // Sizes that land records on every offset, so padding records appear at the end of many laps.
            byte[] sent = Record(i, random.Next(0, producer.MaxRecordContent + 1));
            producer.Write(SharedMemoryRing.TypeFrame, sent);
            Assert.Equal(sent, ReadOne(consumer));
        }
        Assert.False(consumer.TryRead(out _, out _, out _));
    }

    [Fact]
    public void A_full_ring_holds_the_producer_back_until_the_consumer_gives_space_back()
    {
        var (producer, consumer) = Pair();
        _owner.Closed = true; // a write that would have to wait throws instead
        int written = 0;
        while (true)
        {
            try
            {
                producer.Write(SharedMemoryRing.TypeFrame, Record(written, 1000)); // 1,024 bytes with its header
            }
            catch (IpcDisconnectedException)
            {
                break;
            }
            written++;
        }
        Assert.Equal(Capacity / 1024, written);

        // Reading a record is not yet giving it back: the space returns on release.
        Assert.Equal(Record(0, 1000), ReadOne(consumer));
        Assert.Throws<IpcDisconnectedException>(() => producer.Write(SharedMemoryRing.TypeFrame, Record(99, 1000)));
        consumer.Release();
        producer.Write(SharedMemoryRing.TypeFrame, Record(written, 1000));
        for (int i = 1; i <= written; i++)
        {
            Assert.Equal(Record(i, 1000), ReadOne(consumer));
        }
    }

    [Fact]
    public void TryWrite_never_waits_writes_nothing_when_full_and_pads_like_Write()
    {
        var (producer, consumer) = Pair();
        // The owner stays open: a write that waited would hang this test rather than throw.
        for (int i = 0; i < 3; i++)
        {
            Assert.True(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(i, 1000))); // 1,024 bytes each
        }
        Assert.True(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(3, 500)));      // 576 bytes, to 3,648
        // 448 bytes left, all at the end of the ring: a 640-byte record needs them as padding, and 640 more.
        Assert.False(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(4, 600)));
        Assert.Equal(Record(0, 1000), ReadOne(consumer));
        Assert.False(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(4, 600)), "read but not released is not free");
        consumer.Release();
        Assert.True(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(4, 600)));      // padding, then offset 0
        Assert.True(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(5, 368)));      // the last 384 bytes
        Assert.False(producer.TryWrite(SharedMemoryRing.TypeFrame, Array.Empty<byte>()), "the ring is exactly full");
        Assert.Equal(Record(1, 1000), ReadOne(consumer));
        Assert.Equal(Record(2, 1000), ReadOne(consumer));
        Assert.Equal(Record(3, 500), ReadOne(consumer));
        Assert.Equal(Record(4, 600), ReadOne(consumer)); // the padding is skipped
        Assert.Equal(Record(5, 368), ReadOne(consumer));
        Assert.Throws<ArgumentOutOfRangeException>(() => producer.TryWrite(SharedMemoryRing.TypeFrame, new byte[producer.MaxRecordContent + 1]));
    }

    [Fact]
    public void The_consumer_gives_space_back_an_eighth_of_the_ring_at_a_time_and_all_of_it_before_it_waits()
    {
        var (producer, consumer) = Pair();
        int records = 0;
        while (producer.TryWrite(SharedMemoryRing.TypeFrame, Record(records, 40))) // 64 bytes each
        {
            records++;
        }
        Assert.Equal(Capacity / 64, records);
        // Published once 512 bytes (an eighth of 4 KiB) are read: one store to the line the producer
        // polls per eight records here, not one per record.
        for (int i = 0; i < 7; i++)
        {
            Assert.Equal(Record(i, 40), ReadOne(consumer));
            consumer.Release();
            Assert.False(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(99, 40)), $"{i + 1} records read, not yet given back");
        }
        Assert.Equal(Record(7, 40), ReadOne(consumer));
        consumer.Release();
        for (int i = 0; i < 8; i++)
        {
            Assert.True(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(records + i, 40)));
        }
        Assert.False(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(99, 40)));

        // Everything read is given back before the consumer waits for more: here it finds the ring empty
        // and, the owner closed, returns instead of waiting.
        for (int i = 8; i < records + 8; i++)
        {
            Assert.Equal(Record(i, 40), ReadOne(consumer));
        }
        _owner.Closed = true;
        Assert.False(consumer.TryRead(out _, out _, out _));
        for (int i = 0; i < Capacity / 64; i++)
        {
            Assert.True(producer.TryWrite(SharedMemoryRing.TypeFrame, Record(i, 40)), "the whole ring is free again");
        }
    }

    [Fact]
    public void Stale_content_and_old_tags_are_never_taken_for_a_record()
    {
        var (producer, consumer) = Pair();
        _owner.Closed = true;
        // First lap: records whose content, word by word, holds positions and old-style tags of the places
        // where records start on the next lap, and this lap's tags.
        long position = 0;
        while (position < Capacity)
        {
            var content = new byte[Capacity / 4 - SharedMemoryRing.RecordHeaderSize];
            for (int word = 0; word + 8 <= content.Length; word += 8)
            {
                long there = position + SharedMemoryRing.RecordHeaderSize + word;
                long value = (word / 8 % 3) switch { 0 => there + Capacity, 1 => there + Capacity + 1, _ => there ^ TagKey };
                BitConverter.TryWriteBytes(content.AsSpan(word), value);
            }
            producer.Write(SharedMemoryRing.TypeFrame, content);
            position += Capacity / 4;
            ReadOne(consumer);
        }
        // Second lap with small records: after each, the next place holds stale memory from the first lap.
        for (int i = 0; i < 20; i++)
        {
            producer.Write(SharedMemoryRing.TypeFrame, Record(i, 40));
            Assert.Equal(Record(i, 40), ReadOne(consumer));
            Assert.False(consumer.TryRead(out _, out _, out _), "stale content was read as a record");
        }
    }

    [Fact]
    public void Every_segment_draws_its_own_tag_key_with_the_top_bit_set()
    {
        long first = SharedMemoryLayout.NewTagKey();
        long second = SharedMemoryLayout.NewTagKey();
        Assert.True(first < 0 && second < 0, "the top bit is set, so a tag is never zero");
        Assert.NotEqual(first, second);
        var header = new byte[SharedMemoryLayout.HeaderSize];
        SharedMemoryLayout.WriteHeader(header, Capacity, first);
        Assert.Equal((Capacity, first), SharedMemoryLayout.ReadHeader(header, SharedMemoryLayout.SegmentSize(Capacity)));
        BitConverter.TryWriteBytes(header.AsSpan(40), 12345L);
        Assert.Throws<IpcProtocolException>(() => SharedMemoryLayout.ReadHeader(header, SharedMemoryLayout.SegmentSize(Capacity)));
    }

    [Fact]
    public void A_producer_and_a_consumer_on_two_threads_lose_duplicate_and_reorder_nothing()
    {
        foreach (IpcWaitStrategy strategy in new[] { IpcWaitStrategy.Spin, IpcWaitStrategy.Adaptive, IpcWaitStrategy.Blocking })
        {
            new Span<byte>(_memory, (int)SharedMemoryLayout.RingBlock(Capacity)).Clear();
            var (producer, consumer) = Pair(strategy);
            producer.AnnounceProducer();
            consumer.AnnounceConsumer();
            const int count = 20_000;
            int maxInFlight = Capacity / 64; // the smallest record is one 64-byte block
            int produced = 0;
            var writer = new Thread(() =>
            {
                var random = new Random(2);
                for (int i = 0; i < count; i++)
                {
                    producer.Write(SharedMemoryRing.TypeFrame, Record(i, random.Next(4, 300)));
                    Volatile.Write(ref produced, i + 1);
                }
            });
            writer.Start();
            var sizes = new Random(2);
            for (int i = 0; i < count; i++)
            {
                byte[] expected = Record(i, sizes.Next(4, 300));
                Assert.Equal(expected, ReadOne(consumer));
                // Back-pressure: the producer is never more than a ring's worth of records ahead.
                Assert.True(Volatile.Read(ref produced) <= i + 1 + maxInFlight, $"{strategy}: the producer ran past the consumer");
            }
            consumer.Release();
            writer.Join();
        }
    }

    [Fact]
    public void A_record_longer_than_the_limit_is_refused_by_both_sides()
    {
        var (producer, consumer) = Pair();
        _owner.Closed = true;
        Assert.Throws<ArgumentOutOfRangeException>(() => producer.Write(SharedMemoryRing.TypeFrame, new byte[producer.MaxRecordContent + 1]));

        byte* record = _memory + SharedMemoryLayout.RingControlSize;
        *(int*)(record + 8) = producer.MaxRecordContent + 1;
        *(int*)(record + 12) = SharedMemoryRing.TypeFrame;
        *(long*)record = 0 ^ TagKey;
        var ex = Assert.Throws<IpcProtocolException>(() => consumer.TryRead(out _, out _, out _));
        Assert.Contains("exceeds the record limit", ex.Message);
    }

    [Theory]
    [InlineData(0, "unknown type")]
    [InlineData(99, "unknown type")]
    [InlineData(SharedMemoryRing.TypePadding, "padding")]
    public void A_record_of_a_bad_type_or_misplaced_padding_is_a_protocol_error(int type, string message)
    {
        var (_, consumer) = Pair();
        _owner.Closed = true;
        byte* record = _memory + SharedMemoryLayout.RingControlSize;
        *(int*)(record + 8) = 100;
        *(int*)(record + 12) = type;
        *(long*)record = 0 ^ TagKey;
        var ex = Assert.Throws<IpcProtocolException>(() => consumer.TryRead(out _, out _, out _));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void A_consumer_position_out_of_range_is_a_protocol_error_for_the_producer()
    {
        var (producer, _) = Pair();
        _owner.Closed = true;
        for (int i = 0; i < Capacity / 1024; i++)
        {
            producer.Write(SharedMemoryRing.TypeFrame, new byte[1000]);
        }
        // The ring is full by the producer's count; the consumer's word now claims more than was written.
        *(long*)(_memory + SharedMemoryLayout.ConsumerPositionOffset) = long.MaxValue / 2;
        var ex = Assert.Throws<IpcProtocolException>(() => producer.Write(SharedMemoryRing.TypeFrame, new byte[10]));
        Assert.Contains("ring corrupted", ex.Message);
    }
}
