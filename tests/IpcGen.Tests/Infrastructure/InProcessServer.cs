using IpcGen.Tests.Contracts;

namespace IpcGen.Tests.Infrastructure;

/// <summary>A TestService served in this process, with its log captured; disposing stops it.</summary>
public sealed class InProcessServer : IDisposable
{
    public InProcessServer(IpcTransport transport, Action<IpcServerOptions>? configure = null, string? endpoint = null)
    {
        Transport = transport;
        Endpoint = endpoint ?? TestEnvironment.NewEndpoint("inproc");
        var options = new IpcServerOptions { Endpoint = Endpoint, Transport = transport, Logger = Log };
        configure?.Invoke(options);
        Server = ITestService.Serve(Service, options);
    }

    public IpcTransport Transport { get; }
    public string Endpoint { get; }
    public TestService Service { get; } = new();
    public LogCapture Log { get; } = new();
    public IpcServer Server { get; }

    public ITestService.IpcProxy Connect(Action<IpcClientOptions>? configure = null)
    {
        var options = new IpcClientOptions { Endpoint = Endpoint, Transport = Transport };
        configure?.Invoke(options);
        return ITestService.Connect(options);
    }

    public void Dispose() => Server.Dispose();
}
