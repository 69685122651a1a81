namespace IpcGen.Benchmarks;

/// <summary>A transport and, for shared memory, a wait strategy: one benchmark configuration.</summary>
public sealed record BenchTarget(IpcTransport Transport, IpcWaitStrategy Strategy)
{
    public static IEnumerable<BenchTarget> All()
    {
        foreach (IpcTransport transport in Enum.GetValues<IpcTransport>())
        {
            if (transport == IpcTransport.SharedMemory)
            {
                yield return new(transport, IpcWaitStrategy.Spin);
                yield return new(transport, IpcWaitStrategy.Adaptive);
                yield return new(transport, IpcWaitStrategy.Blocking);
            }
            else
            {
                yield return new(transport, IpcWaitStrategy.Adaptive);
            }
        }
    }

    public override string ToString() => Transport == IpcTransport.SharedMemory ? $"{Transport}/{Strategy}" : Transport.ToString();

    /// <summary>Starts a server for this target in this process and connects a client to it.</summary>
    public (IpcServer Server, IBench.IpcProxy Client) Start(int maxMessageSize = 16 * 1024 * 1024)
    {
        string endpoint = $"bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        IpcServer server = IBench.Serve(new BenchService(), new IpcServerOptions
        {
            Endpoint = endpoint,
            Transport = Transport,
            WaitStrategy = Strategy,
            MaxMessageSize = maxMessageSize,
        });
        IBench.IpcProxy client = IBench.Connect(new IpcClientOptions
        {
            Endpoint = endpoint,
            Transport = Transport,
            WaitStrategy = Strategy,
            MaxMessageSize = maxMessageSize,
        });
        return (server, client);
    }
}
