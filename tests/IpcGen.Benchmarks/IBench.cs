using System.Runtime.InteropServices;
using IpcGen;

namespace IpcGen.Benchmarks;

/// <summary>The contract every benchmark calls.</summary>
[IpcService]
public partial interface IBench
{
    int Add(int a, int b);

    ValueTask<int> AddAsync(int a, int b);

    byte[] Echo(byte[] data);

    [OneWay]
    void Post(Message32 message);

    /// <summary>Answers once every one-way message sent before it has been handled.</summary>
    long Received();
}

/// <summary>A 32-byte unmanaged message, copied raw.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct Message32(long A, long B, long C, long D);

public sealed class BenchService : IBench
{
    private long _received;

    public int Add(int a, int b) => a + b;

    public ValueTask<int> AddAsync(int a, int b) => new(a + b);

    public byte[] Echo(byte[] data) => data;

    public void Post(Message32 message) => _received++;

    public long Received() => _received;
}
