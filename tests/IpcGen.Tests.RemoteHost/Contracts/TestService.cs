using System.Collections.Concurrent;

namespace IpcGen.Tests.Contracts;

/// <summary>The implementation served in-process by tests and out-of-process by the remote host.</summary>
public sealed class TestService : ITestService
{
    private readonly ConcurrentDictionary<string, bool> _cancelled = new();
    private readonly ConcurrentQueue<string> _recorded = new();

    /// <summary>Set when a Block or DelayAsync call has started on the server.</summary>
    public SemaphoreSlim CallStarted { get; } = new(0);

    public int Add(int a, int b) => a + b;

    public ValueTask<int> AddAsync(int a, int b) => new(a + b);

    public async ValueTask<double> DivideAsync(double a, double b, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (b == 0)
        {
            throw new DivideByZeroException("b is zero");
        }
        return a / b;
    }

    public Task<string> EchoAsync(string text) => Task.FromResult(text);

    public Task<Order[]> ListOrdersAsync(string customer, int count)
        => Task.FromResult(Enumerable.Range(1, count).Select(i => new Order(customer, i, i * 1.5m, (Color)(1 + i % 3))).ToArray());

    public Point Translate(Point point, int dx, int dy) => new(point.X + dx, point.Y + dy);

    public Dictionary<string, List<int>> Group(Dictionary<string, List<int>> input)
        => input.ToDictionary(pair => pair.Key.ToUpperInvariant(), pair => pair.Value.OrderBy(v => v).ToList());

    public Color? Mix(Color? first, Color second) => first is null ? null : (Color)Math.Max((byte)first.Value, (byte)second);

    public string? Describe(int? number, string? label) => number is null && label is null ? null : $"{label ?? "?"}:{number?.ToString() ?? "-"}";

    public long Sum(byte[] data)
    {
        long sum = 0;
        foreach (byte b in data)
        {
            sum += b;
        }
        return sum;
    }

    public byte[] Blob(int size)
    {
        var data = new byte[size];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 31);
        }
        return data;
    }

    public void Throw(string message) => throw new InvalidOperationException(message);

    public async Task DelayAsync(int milliseconds, string tag, CancellationToken cancellationToken)
    {
        CallStarted.Release();
        try
        {
            await Task.Delay(milliseconds, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _cancelled[tag] = true;
            throw;
        }
    }

    public int Block(int milliseconds)
    {
        CallStarted.Release();
        Thread.Sleep(milliseconds);
        return milliseconds;
    }

    public bool WasCancelled(string tag) => _cancelled.ContainsKey(tag);

    public void Record(string entry) => _recorded.Enqueue(entry);

    public int RecordedCount(string prefix) => _recorded.Count(e => e.StartsWith(prefix, StringComparison.Ordinal));

    public PeerCredentials WhoAmI() => IpcCallContext.Current?.Peer ?? throw new InvalidOperationException("no call context");

    public int ServerProcessId() => Environment.ProcessId;

    public int Overload(int value) => value * 10;

    public int Overload(int value, int other) => value * 100 + other;

    public int Length(string text) => text.Length;

    public long SumRegion(SharedRegion<long> values, SharedRegion<long> into)
    {
        long total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            total += Volatile.Read(ref values[i]);
        }
        Volatile.Write(ref into.Value, total);
        return total;
    }
}
