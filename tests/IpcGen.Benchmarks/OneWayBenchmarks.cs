using BenchmarkDotNet.Attributes;

namespace IpcGen.Benchmarks;

/// <summary>
/// One-way throughput of 32-byte messages: each invocation posts a batch and then waits until the
/// server has handled all of them, so the time per operation is the sustained cost of one message.
/// </summary>
[MemoryDiagnoser]
public class OneWayBenchmarks
{
    private const int Batch = 10_000;
    private IpcServer _server = null!;
    private IBench.IpcProxy _client = null!;
    private long _sent;

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

    [Benchmark(OperationsPerInvoke = Batch)]
    public long Post()
    {
        var message = new Message32(1, 2, 3, 4);
        for (int i = 0; i < Batch; i++)
        {
            _client.Post(message);
        }
        _sent += Batch;
        long received = _client.Received(); // ordered after the posts on the same connection
        if (received != _sent)
        {
            throw new InvalidOperationException($"server handled {received} of {_sent} messages");
        }
        return received;
    }
}
