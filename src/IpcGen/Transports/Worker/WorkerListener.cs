namespace IpcGen.Transports.Worker;

/// <summary>
/// The worker side's listener: exactly one connection, the parent over the inherited pipes. Accept hands
/// it out once, then waits until the listener is disposed.
/// </summary>
internal sealed class WorkerListener : ConnectionListener
{
    private readonly ManualResetEventSlim _disposed = new();
    private FrameChannel? _channel;

    public WorkerListener(FrameChannel channel, string endpoint)
    {
        _channel = channel;
        Endpoint = endpoint;
    }

    public override string Endpoint { get; }

    public override FrameChannel? Accept()
    {
        FrameChannel? channel = Interlocked.Exchange(ref _channel, null);
        if (channel is not null)
        {
            return channel;
        }
        _disposed.Wait();
        return null;
    }

    public override void Dispose()
    {
        _disposed.Set();
        Interlocked.Exchange(ref _channel, null)?.Dispose();
    }
}
