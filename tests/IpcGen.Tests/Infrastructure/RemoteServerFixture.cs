using System.Collections.Concurrent;

namespace IpcGen.Tests.Infrastructure;

/// <summary>One remote-host server process per transport, shared by a test class and stopped after it.</summary>
public sealed class RemoteServerFixture : IDisposable
{
    private readonly ConcurrentDictionary<IpcTransport, (RemoteHost Host, string Endpoint)> _servers = new();
    private readonly object _startLock = new();

    /// <summary>The endpoint of the server process for <paramref name="transport"/>, started on first use.</summary>
    public string EndpointFor(IpcTransport transport)
    {
        lock (_startLock)
        {
            return _servers.GetOrAdd(transport, t =>
            {
                string endpoint = TestEnvironment.NewEndpoint("remote");
                return (RemoteHost.Start("serve", endpoint, t), endpoint);
            }).Endpoint;
        }
    }

    public int ProcessIdFor(IpcTransport transport) => _servers[transport].Host.ProcessId;

    public void Dispose()
    {
        foreach (var (host, _) in _servers.Values)
        {
            host.Dispose();
        }
    }
}
