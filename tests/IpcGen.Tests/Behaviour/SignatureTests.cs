using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

/// <summary>Every signature family, called from this process on a server in another process.</summary>
public sealed class SignatureTests : IClassFixture<RemoteServerFixture>
{
    private readonly RemoteServerFixture _server;

    public SignatureTests(RemoteServerFixture server) => _server = server;

    private ITestService.IpcProxy Connect(IpcTransport transport)
        => ITestService.Connect(new IpcClientOptions { Endpoint = _server.EndpointFor(transport), Transport = transport });

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Sync_method_with_unmanaged_arguments_returns_the_result(IpcTransport transport)
    {
        using var client = Connect(transport);
        Assert.Equal(5, client.Add(2, 3));
        Assert.Equal(int.MinValue, client.Add(int.MaxValue, 1));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task ValueTask_methods_return_their_results(IpcTransport transport)
    {
        using var client = Connect(transport);
        Assert.Equal(42, await client.AddAsync(40, 2));
        Assert.Equal(2.5, await client.DivideAsync(5, 2));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Task_methods_carry_strings_and_MessagePack_objects(IpcTransport transport)
    {
        using var client = Connect(transport);
        Assert.Equal("héllo ✓", await client.EchoAsync("héllo ✓"));
        Order[] orders = await client.ListOrdersAsync("ada", 3);
        Assert.Equal(new[] { new Order("ada", 1, 1.5m, Color.Green), new Order("ada", 2, 3.0m, Color.Blue), new Order("ada", 3, 4.5m, Color.Red) }, orders);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Unmanaged_structs_enums_and_nullable_values_round_trip(IpcTransport transport)
    {
        using var client = Connect(transport);
        Assert.Equal(new Point(11, -18), client.Translate(new Point(1, 2), 10, -20));
        Assert.Equal(Color.Blue, client.Mix(Color.Red, Color.Blue));
        Assert.Null(client.Mix(null, Color.Blue));
        Assert.Equal("x:5", client.Describe(5, "x"));
        Assert.Equal("label:-", client.Describe(null, "label"));
        Assert.Null(client.Describe(null, null));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Collections_round_trip(IpcTransport transport)
    {
        using var client = Connect(transport);
        var input = new Dictionary<string, List<int>> { ["a"] = new() { 3, 1, 2 }, ["b"] = new() };
        Dictionary<string, List<int>> grouped = client.Group(input);
        Assert.Equal(new[] { 1, 2, 3 }, grouped["A"]);
        Assert.Empty(grouped["B"]);
        Assert.Equal(255 * 3, client.Sum(new byte[] { 255, 255, 255 }));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Large_arguments_and_results_travel_whole(IpcTransport transport)
    {
        using var client = Connect(transport);
        byte[] blob = client.Blob(4 * 1024 * 1024);
        Assert.Equal(4 * 1024 * 1024, blob.Length);
        Assert.Equal(unchecked((byte)(12345 * 31)), blob[12345]);
        Assert.Equal(blob.Sum(b => (long)b), client.Sum(blob));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Overloads_are_told_apart_by_their_ids(IpcTransport transport)
    {
        using var client = Connect(transport);
        Assert.Equal(30, client.Overload(3));
        Assert.Equal(304, client.Overload(3, 4));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void One_way_calls_arrive_in_order_without_a_response(IpcTransport transport)
    {
        using var client = Connect(transport);
        string prefix = Guid.NewGuid().ToString("N");
        for (int i = 0; i < 100; i++)
        {
            client.Record(prefix + i);
        }
        // A request on the same connection is handled after the one-way frames sent before it.
        Assert.Equal(100, client.RecordedCount(prefix));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void The_service_sees_the_callers_kernel_credentials(IpcTransport transport)
    {
        using var client = Connect(transport);
        PeerCredentials caller = client.WhoAmI();
        Assert.Equal(Environment.ProcessId, caller.ProcessId);
        Assert.Equal(IpcGen.Transports.RuntimeDirectory.CurrentUserId, caller.UserId);
        Assert.Equal(_server.ProcessIdFor(transport), client.ServerProcessId());
        Assert.Equal(_server.ProcessIdFor(transport), client.Client.Server.ProcessId);
    }
}
