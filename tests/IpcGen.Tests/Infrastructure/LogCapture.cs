using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace IpcGen.Tests.Infrastructure;

/// <summary>An <see cref="ILogger"/> that keeps what it is told, so tests can assert logged reasons.</summary>
public sealed class LogCapture : ILogger
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyCollection<(int EventId, LogLevel Level, string Message)> Entries => _entries;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));

    /// <summary>Waits until an entry with the event id appears (the server logs on its own thread).</summary>
    public string WaitFor(int eventId, string? containing = null, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            foreach (var entry in _entries)
            {
                if (entry.EventId == eventId && (containing is null || entry.Message.Contains(containing, StringComparison.Ordinal)))
                {
                    return entry.Message;
                }
            }
            Thread.Sleep(10);
        }
        throw new Xunit.Sdk.XunitException($"no log event {eventId}{(containing is null ? "" : $" containing '{containing}'")}; got:\n{string.Join("\n", _entries.Select(e => $"{e.EventId}: {e.Message}"))}");
    }
}
