using IpcGen;
using MessagePack;

namespace Calculator;

/// <summary>
/// The contract. The source generator turns it into <c>ICalculator.Connect</c> (a typed client proxy)
/// and <c>ICalculator.Serve</c> (a server dispatching to an implementation).
/// </summary>
[IpcService]
public partial interface ICalculator
{
    /// <summary>Synchronous: blocks the caller until the server answers.</summary>
    int Add(int a, int b);

    /// <summary>Asynchronous; the token is not sent as data: cancelling it cancels the call on the server.</summary>
    ValueTask<double> DivideAsync(double a, double b, CancellationToken cancellationToken = default);

    /// <summary>Arguments and results that are not unmanaged types travel as MessagePack.</summary>
    Task<Summary> SummarizeAsync(double[] values);

    /// <summary>Fire and forget: no response is sent, the caller does not wait.</summary>
    [OneWay]
    void Log(string message);

    /// <summary>How many <see cref="Log"/> messages the server has received.</summary>
    int LoggedCount();

    /// <summary>Waits on the server; used to show cancellation.</summary>
    Task DelayAsync(int milliseconds, CancellationToken cancellationToken);
}

/// <summary>A result that is not an unmanaged type: serialized with MessagePack.</summary>
[MessagePackObject]
public sealed record Summary(
    [property: Key(0)] int Count,
    [property: Key(1)] double Mean,
    [property: Key(2)] double Min,
    [property: Key(3)] double Max);
