using System.Runtime.InteropServices;

namespace IpcGen;

/// <summary>
/// The first 128 bytes of every shared region file; the elements follow at offset 128, so they start on a
/// 128-byte boundary (a pair of cache lines, what the adjacent-line prefetcher fetches together): fields
/// that <c>T</c> keeps 128 bytes apart never share a line, and every 8-byte field that is aligned within
/// <c>T</c> is aligned in memory.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///  0     8    Magic          "IPCGSHR\0" (0x0052485347435049 read little-endian)
///  8     4    Version        1
/// 12     4    HeaderSize     128
/// 16     8    LayoutHash     FNV-1a of T's declared layout (see SharedLayout)
/// 24     4    ElementSize    sizeof(T)
/// 28     4    ElementCount   number of T
/// 32     8    TotalSize      header + elements, the file's size
/// 40     4    State          0 while the creator fills the header, 1 once it is complete (release-stored last)
/// 44     4    Lock           the region's SharedMutex word
/// 48    80    reserved, zero
/// </code>
/// Read by the opener once, validated, and never trusted again: it only decides whether to map the rest.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct SharedRegionHeader
{
    public const int Size = 128;
    public const ulong MagicValue = 0x0052485347435049UL;
    public const uint CurrentVersion = 1;
    public const int StateReady = 1;

    [FieldOffset(0)] public ulong Magic;
    [FieldOffset(8)] public uint Version;
    [FieldOffset(12)] public uint HeaderSize;
    [FieldOffset(16)] public ulong LayoutHash;
    [FieldOffset(24)] public uint ElementSize;
    [FieldOffset(28)] public uint ElementCount;
    [FieldOffset(32)] public ulong TotalSize;
    [FieldOffset(40)] public int State;
    [FieldOffset(44)] public SharedMutex Lock;
}
