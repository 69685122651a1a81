using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

public sealed class RemoteExceptionTests : IClassFixture<RemoteServerFixture>
{
    private readonly RemoteServerFixture _server;

    public RemoteExceptionTests(RemoteServerFixture server) => _server = server;

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_service_exception_arrives_with_type_message_and_remote_stack_trace(IpcTransport transport)
    {
        using var client = ITestService.Connect(new IpcClientOptions { Endpoint = _server.EndpointFor(transport), Transport = transport });
        var ex = Assert.Throws<IpcRemoteException>(() => client.Throw("boom"));
        Assert.Equal("System.InvalidOperationException", ex.RemoteTypeName);
        Assert.Equal("boom", ex.RemoteMessage);
        Assert.Contains(nameof(TestService.Throw), ex.RemoteStackTrace);
        Assert.Contains("--- Remote stack trace ---", ex.ToString());
        // The connection survives a remote exception.
        Assert.Equal(3, client.Add(1, 2));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task An_async_service_exception_faults_the_task(IpcTransport transport)
    {
        using var client = ITestService.Connect(new IpcClientOptions { Endpoint = _server.EndpointFor(transport), Transport = transport });
        var ex = await Assert.ThrowsAsync<IpcRemoteException>(async () => await client.DivideAsync(1, 0));
        Assert.Equal("System.DivideByZeroException", ex.RemoteTypeName);
        Assert.Equal("b is zero", ex.RemoteMessage);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void The_stack_trace_is_withheld_when_the_server_says_so(IpcTransport transport)
    {
        using var server = new InProcessServer(transport, o => o.IncludeExceptionStackTrace = false);
        using var client = server.Connect();
        var ex = Assert.Throws<IpcRemoteException>(() => client.Throw("quiet"));
        Assert.Equal("quiet", ex.RemoteMessage);
        Assert.Null(ex.RemoteStackTrace);
    }
}
