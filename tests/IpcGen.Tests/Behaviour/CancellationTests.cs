using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

public sealed class CancellationTests
{
    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Cancelling_the_token_cancels_the_call_on_the_server(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect();
        using var cts = new CancellationTokenSource();

        Task call = client.DelayAsync(60_000, "cancelled", cts.Token);
        Assert.True(await server.Service.CallStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        cts.Cancel();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(cts.Token, ex.CancellationToken);
        Eventually.True(() => server.Service.WasCancelled("cancelled"), "the server's token was cancelled");
        Assert.Equal(3, client.Add(1, 2));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task An_already_cancelled_token_sends_nothing(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.DelayAsync(60_000, "never", new CancellationToken(true)));
        Assert.False(server.Service.WasCancelled("never"));
        Assert.Equal(0, server.Service.CallStarted.CurrentCount);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task A_call_past_its_timeout_fails_and_is_cancelled_on_the_server(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect(o => o.CallTimeout = TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAsync<IpcTimeoutException>(() => client.DelayAsync(60_000, "deadline", CancellationToken.None));
        Eventually.True(() => server.Service.WasCancelled("deadline"), "the server's token was cancelled by the deadline");
        Assert.Equal(3, client.Add(1, 2));
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public void A_sync_call_past_its_timeout_fails(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect(o => o.CallTimeout = TimeSpan.FromMilliseconds(100));
        Assert.Throws<IpcTimeoutException>(() => client.Block(300));
        // A sync service method holds its connection until it returns, so calls right behind it may time
        // out too; once it is done, the late answer to the abandoned call is dropped and the next call
        // gets its own answer.
        int? result = null;
        Eventually.True(() =>
        {
            try
            {
                result = client.Add(1, 2);
                return true;
            }
            catch (IpcTimeoutException)
            {
                return false;
            }
        }, "a call after the blocked one completes");
        Assert.Equal(3, result);
    }
}
