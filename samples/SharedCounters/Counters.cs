using System.Runtime.InteropServices;
using IpcGen;

namespace SharedCounters;

/// <summary>
/// The counters every worker process updates. <see cref="Hits"/> is a lone counter, bumped with
/// <c>Interlocked</c>; <see cref="Updates"/>, <see cref="Total"/> and <see cref="LastWorker"/> change
/// together, so they change under the region's lock. The lone counter sits on its own 128-byte block so
/// its traffic does not slow down the locked fields (IPCG107).
/// </summary>
[SharedStruct]
[StructLayout(LayoutKind.Explicit, Size = 256)]
public struct Counters
{
    [FieldOffset(0)] public long Hits;
    [FieldOffset(128)] public long Updates;
    [FieldOffset(136)] public long Total;
    [FieldOffset(144)] public int LastWorker;
}

/// <summary>One per worker, each on its own 128 bytes: written only by its worker, read by the coordinator.</summary>
[SharedStruct]
[StructLayout(LayoutKind.Explicit, Size = 128)]
public struct WorkerSlot
{
    [FieldOffset(0)] public long Done;
}
