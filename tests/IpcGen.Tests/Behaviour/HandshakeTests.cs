using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

/// <summary>A contract that claims ITestService's name but has other methods: another version of it.</summary>
[IpcService(Name = ITestService.IpcContractName)]
public partial interface ITestServiceV2
{
    int Add(int a, int b, int c);
}

public sealed class HandshakeTests
{
    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_client_of_another_contract_version_is_refused_naming_both_fingerprints(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        var ex = Assert.Throws<IpcContractMismatchException>(() => ITestServiceV2.Connect(new IpcClientOptions { Endpoint = server.Endpoint, Transport = transport }));
        Assert.Equal(ITestServiceV2.IpcContractFingerprint, ex.ClientFingerprint);
        Assert.Equal(ITestService.IpcContractFingerprint, ex.ServerFingerprint);
        Assert.NotEqual(ex.ClientFingerprint, ex.ServerFingerprint);
        Assert.Contains(ITestService.IpcContractName, ex.Message);
        Assert.Contains($"0x{ITestService.IpcContractFingerprint:X16}", ex.Message);
        Assert.Contains($"0x{ITestServiceV2.IpcContractFingerprint:X16}", ex.Message);
        server.Log.WaitFor(6);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_peer_the_policy_does_not_admit_is_refused_and_logged(IpcTransport transport)
    {
        using var server = new InProcessServer(transport, o => o.Authorization = IpcAuthorizationPolicy.Custom(peer => peer.ProcessId != Environment.ProcessId));
        Assert.Throws<IpcAuthorizationException>(() => server.Connect());
        string logged = server.Log.WaitFor(5);
        Assert.Contains($"pid {Environment.ProcessId}", logged);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void Connections_over_the_limit_are_refused(IpcTransport transport)
    {
        using var server = new InProcessServer(transport, o => o.MaxConnections = 1);
        using var first = server.Connect();
        var ex = Assert.Throws<IpcException>(() => server.Connect());
        Assert.Contains("connection limit", ex.Message);
        Assert.Equal(2, first.Add(1, 1));
    }

    [Fact]
    public void The_default_policy_admits_the_same_user_only()
    {
        uint me = IpcGen.Transports.RuntimeDirectory.CurrentUserId;
        Assert.True(IpcAuthorizationPolicy.SameUser.IsAllowed(new PeerCredentials(1, me, 12345)));
        Assert.False(IpcAuthorizationPolicy.SameUser.IsAllowed(new PeerCredentials(1, me + 1, 12345)));
    }

    [Fact]
    public void Allow_lists_admit_the_listed_users_and_groups()
    {
        uint me = IpcGen.Transports.RuntimeDirectory.CurrentUserId;
        var policy = IpcAuthorizationPolicy.Allow(new[] { me + 10 }, new[] { 4242u });
        Assert.True(policy.IsAllowed(new PeerCredentials(1, me, 1)));
        Assert.True(policy.IsAllowed(new PeerCredentials(1, me + 10, 1)));
        Assert.True(policy.IsAllowed(new PeerCredentials(1, me + 20, 4242)));
        Assert.False(policy.IsAllowed(new PeerCredentials(1, me + 20, 4243)));
        Assert.True(IpcAuthorizationPolicy.AllowUsers(me + 3).IsAllowed(new PeerCredentials(1, me + 3, 0)));
        Assert.True(IpcAuthorizationPolicy.AllowGroups(77).IsAllowed(new PeerCredentials(1, me + 3, 77)));
    }
}
