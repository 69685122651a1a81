using System.Runtime.InteropServices;

namespace IpcGen.Tests.Contracts;

/// <summary>
/// The struct the shared-memory tests and the remote host map together. <see cref="Total"/> is updated
/// with a deliberately slow read-then-write under the lock, so a lock that does not exclude loses counts.
/// </summary>
[SharedStruct]
[StructLayout(LayoutKind.Sequential)]
public struct SharedTestCounters
{
    public SharedMutex Gate;
    public int Start;
    public long Total;
    public long AtomicTotal;
    public int LastWriter;
}

/// <summary>Another layout under a name a test may confuse with <see cref="SharedTestCounters"/>.</summary>
[SharedStruct]
[StructLayout(LayoutKind.Sequential)]
public struct SharedTestCountersV2
{
    public SharedMutex Gate;
    public int Start;
    public long AtomicTotal;
    public long Total;
    public int LastWriter;
}
