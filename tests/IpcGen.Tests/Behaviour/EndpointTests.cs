using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

public sealed class EndpointTests
{
    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_second_live_server_on_the_same_endpoint_is_refused(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        var ex = Assert.Throws<IpcEndpointInUseException>(() => new InProcessServer(transport, endpoint: server.Endpoint));
        Assert.Contains(server.Endpoint, ex.Message);
        using var client = server.Connect();
        Assert.Equal(2, client.Add(1, 1));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_clean_stop_leaves_nothing_behind(IpcTransport transport)
    {
        string endpoint;
        using (var server = new InProcessServer(transport))
        {
            endpoint = server.Endpoint;
            using var client = server.Connect();
            Assert.Equal(2, client.Add(1, 1));
        }
        Assert.All(EndpointLeftovers.Of(endpoint, transport), o => Assert.False(o.Exists, o.What));
        Assert.Empty(EndpointLeftovers.ClientObjects(endpoint, transport));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_crashed_servers_leftovers_are_reclaimed(IpcTransport transport)
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using (RemoteHost host = RemoteHost.Start("serve", endpoint, transport))
        {
            host.KillHard();
        }
        Assert.All(EndpointLeftovers.Of(endpoint, transport), o => Assert.True(o.Exists, o.What));

        using (var server = new InProcessServer(transport, endpoint: endpoint))
        {
            using var client = server.Connect();
            Assert.Equal(2, client.Add(1, 1));
        }
        Assert.All(EndpointLeftovers.Of(endpoint, transport), o => Assert.False(o.Exists, o.What));
    }

    [Fact]
    public void The_runtime_directory_and_socket_are_private_to_the_user()
    {
        using var server = new InProcessServer(IpcTransport.UnixSocket);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(TestEnvironment.RuntimeDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.Server.Endpoint));
        Assert.StartsWith(TestEnvironment.RuntimeDirectory + "/", server.Server.Endpoint);
    }

    [Fact]
    public void Connecting_to_an_endpoint_nobody_serves_times_out_with_a_clear_error()
    {
        var ex = Assert.Throws<IpcTimeoutException>(() => ITestService.Connect(new IpcClientOptions
        {
            Endpoint = TestEnvironment.NewEndpoint(),
            ConnectTimeout = TimeSpan.FromMilliseconds(100),
        }));
        Assert.Contains("Is the server running?", ex.Message);
    }

    [Fact]
    public async Task A_client_started_before_its_server_connects_once_the_server_is_up()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        var connecting = ITestService.ConnectAsync(new IpcClientOptions { Endpoint = endpoint, ConnectTimeout = TimeSpan.FromSeconds(10) }).AsTask();
        await Task.Delay(50);
        using var server = new InProcessServer(IpcTransport.UnixSocket, endpoint: endpoint);
        using var client = await connecting;
        Assert.Equal(2, client.Add(1, 1));
    }
}
