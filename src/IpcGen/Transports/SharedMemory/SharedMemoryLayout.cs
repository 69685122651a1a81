using System.Buffers.Binary;
using System.Numerics;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// The segment one shared-memory connection lives in (docs/transports.md, "SharedMemory"), little-endian:
/// <code>
/// 0      header, one page:  u32 magic "IPGS" | u16 version | u16 reserved | u32 ringCapacity |
///                           u32 reserved | u64 segmentSize | u64 ring0Offset | u64 ring1Offset |
///                           u64 tagKey (random, top bit set; see SharedMemoryRing)
/// 4096   ring 0 (client → server)
/// 4096 + RingBlock        ring 1 (server → client)
/// </code>
/// Each ring: four 128-byte lines (consumer position; data futex word, consumer sleeping flag and
/// consumer wake mode; space futex word, producer sleeping flag and producer wake mode; reserved), then <c>ringCapacity</c> bytes of records (<see cref="SharedMemoryRing"/>).
/// Each side writes only its own words (the futex words are bumped by whoever wakes); positions only
/// grow; everything read from the other side is validated before use.
/// </summary>
internal static class SharedMemoryLayout
{
    public const uint Magic = 0x53475049; // "IPGS" in little-endian byte order
    public const ushort Version = 2;
    public const int HeaderSize = 4096;
    public const int Line = 128;
    public const int RingControlSize = 4 * Line;
    public const int MinRingCapacity = 4096;
    public const int MaxRingCapacity = 64 * 1024 * 1024;

    public const int ConsumerPositionOffset = 0;
    public const int DataSignalOffset = Line;
    public const int ConsumerSleepingOffset = Line + 4;
    public const int ConsumerWakeModeOffset = Line + 8;
    public const int SpaceSignalOffset = 2 * Line;
    public const int ProducerSleepingOffset = 2 * Line + 4;
    public const int ProducerWakeModeOffset = 2 * Line + 8;

    public static long RingBlock(int capacity) => RingControlSize + (long)capacity;

    public static long SegmentSize(int capacity) => HeaderSize + 2 * RingBlock(capacity);

    public static long RingOffset(int capacity, int ring) => HeaderSize + ring * RingBlock(capacity);

    public static void ValidateCapacity(int capacity)
    {
        if (capacity < MinRingCapacity || capacity > MaxRingCapacity || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(IpcServerOptions.SharedMemoryRingSize), capacity,
                $"The shared-memory ring size must be a power of two from {MinRingCapacity} to {MaxRingCapacity} bytes.");
        }
    }

    /// <summary>A fresh tag key: random, with the top bit set so no tag is ever zero.</summary>
    public static long NewTagKey() => (long)(BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)) | (1UL << 63));

    public static void WriteHeader(Span<byte> header, int capacity, long tagKey)
    {
        header.Slice(0, 48).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.Slice(8), capacity);
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(16), SegmentSize(capacity));
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(24), RingOffset(capacity, 0));
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(32), RingOffset(capacity, 1));
        BinaryPrimitives.WriteInt64LittleEndian(header.Slice(40), tagKey);
    }

    /// <summary>
    /// Reads the header once (from a private copy) and checks it against the layout this side computes
    /// and the segment's real size. Returns the ring capacity and the tag key.
    /// </summary>
    public static (int Capacity, long TagKey) ReadHeader(ReadOnlySpan<byte> header, long actualSize)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header.Slice(4));
        int capacity = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(8));
        long size = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(16));
        long ring0 = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(24));
        long ring1 = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(32));
        long tagKey = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(40));
        if (magic != Magic)
        {
            throw new IpcProtocolException($"shared-memory segment magic 0x{magic:X8} is not 'IPGS'");
        }
        if (version != Version)
        {
            throw new IpcProtocolException($"shared-memory segment version {version} is not supported (this side speaks {Version})");
        }
        if (capacity < MinRingCapacity || capacity > MaxRingCapacity || !BitOperations.IsPow2(capacity))
        {
            throw new IpcProtocolException($"shared-memory ring capacity {capacity} is not a power of two in range");
        }
        if (size != SegmentSize(capacity) || size != actualSize || ring0 != RingOffset(capacity, 0) || ring1 != RingOffset(capacity, 1))
        {
            throw new IpcProtocolException("shared-memory segment header does not match its layout or its size");
        }
        if (tagKey >= 0)
        {
            throw new IpcProtocolException("shared-memory segment tag key does not have its top bit set");
        }
        return (capacity, tagKey);
    }
}
