using BenchmarkDotNet.Attributes;

namespace IpcGen.Benchmarks;

/// <summary>Round trip of <c>int Add(int, int)</c>, sync and ValueTask, per transport and wait strategy.</summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private IpcServer _server = null!;
    private IBench.IpcProxy _client = null!;

    [ParamsSource(nameof(Targets))]
    public BenchTarget Target { get; set; } = null!;

    public static IEnumerable<BenchTarget> Targets() => BenchTarget.All();

    [GlobalSetup]
    public void Setup() => (_server, _client) = Target.Start();

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int Add() => _client.Add(1, 2);

    [Benchmark]
    public ValueTask<int> AddAsync() => _client.AddAsync(1, 2);
}
