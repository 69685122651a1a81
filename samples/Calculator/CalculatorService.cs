namespace Calculator;

/// <summary>The implementation, running in the server process.</summary>
public sealed class CalculatorService : ICalculator
{
    private int _logged;

    public int Add(int a, int b) => a + b;

    public ValueTask<double> DivideAsync(double a, double b, CancellationToken cancellationToken)
    {
        if (b == 0)
        {
            // Travels back as an error frame; the client sees an IpcRemoteException.
            throw new DivideByZeroException($"Cannot divide {a} by zero.");
        }
        return ValueTask.FromResult(a / b);
    }

    public Task<Summary> SummarizeAsync(double[] values)
        => Task.FromResult(new Summary(values.Length, values.Average(), values.Min(), values.Max()));

    public void Log(string message) => Interlocked.Increment(ref _logged);

    public int LoggedCount() => Volatile.Read(ref _logged);

    public Task DelayAsync(int milliseconds, CancellationToken cancellationToken)
        => Task.Delay(milliseconds, cancellationToken);
}
