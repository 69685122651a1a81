using BenchmarkDotNet.Attributes;

namespace IpcGen.Benchmarks;

/// <summary>Round trip of a byte array echoed back, by size, per transport.</summary>
[MemoryDiagnoser]
public class PayloadBenchmarks
{
    private IpcServer _server = null!;
    private IBench.IpcProxy _client = null!;
    private byte[] _payload = null!;

    [ParamsSource(nameof(Targets))]
    public BenchTarget Target { get; set; } = null!;

    [Params(8, 1024, 64 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    public static IEnumerable<BenchTarget> Targets() => BenchTarget.All().Where(t => t.Strategy == IpcWaitStrategy.Adaptive);

    [GlobalSetup]
    public void Setup()
    {
        (_server, _client) = Target.Start();
        _payload = new byte[Size];
        new Random(1).NextBytes(_payload);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Dispose();
    }

    [Benchmark]
    public byte[] Echo() => _client.Echo(_payload);
}
