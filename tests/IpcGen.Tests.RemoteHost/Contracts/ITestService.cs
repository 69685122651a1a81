using MessagePack;

namespace IpcGen.Tests.Contracts;

/// <summary>The contract every behaviour test runs against, on every transport.</summary>
[IpcService]
public partial interface ITestService
{
    int Add(int a, int b);

    ValueTask<int> AddAsync(int a, int b);

    ValueTask<double> DivideAsync(double a, double b, CancellationToken cancellationToken = default);

    Task<string> EchoAsync(string text);

    Task<Order[]> ListOrdersAsync(string customer, int count);

    Point Translate(Point point, int dx, int dy);

    Dictionary<string, List<int>> Group(Dictionary<string, List<int>> input);

    Color? Mix(Color? first, Color second);

    string? Describe(int? number, string? label);

    long Sum(byte[] data);

    byte[] Blob(int size);

    void Throw(string message);

    /// <summary>Waits on the server until cancelled (or the time passes); records a cancellation under <paramref name="tag"/>.</summary>
    Task DelayAsync(int milliseconds, string tag, CancellationToken cancellationToken);

    /// <summary>Blocks the server's connection thread: used to hold a call in flight.</summary>
    int Block(int milliseconds);

    bool WasCancelled(string tag);

    [OneWay]
    void Record(string entry);

    int RecordedCount(string prefix);

    PeerCredentials WhoAmI();

    int ServerProcessId();

    [IpcMethod(Id = 7)]
    int Overload(int value);

    [IpcMethod(Id = 8)]
    int Overload(int value, int other);

    [IpcMethod(Id = 9)]
    int Length(string text);

    /// <summary>The sum of a region the client shares; the server writes the sum into element 0 of <paramref name="into"/>.</summary>
    [IpcMethod(Id = 10)]
    long SumRegion(SharedRegion<long> values, SharedRegion<long> into);
}

[MessagePackObject]
public sealed record Order([property: Key(0)] string Customer, [property: Key(1)] int Number, [property: Key(2)] decimal Total, [property: Key(3)] Color Color);

public enum Color : byte
{
    Red = 1,
    Green = 2,
    Blue = 3,
}

public readonly record struct Point(int X, int Y);
