using IpcGen.Tests.Infrastructure;

namespace IpcGen.Tests.Behaviour;

public sealed class ConcurrencyTests
{
    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Responses_are_matched_to_calls_by_id_not_by_order(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        using var client = server.Connect();

        Task slow = client.DelayAsync(500, "slow", CancellationToken.None);
        Assert.True(await server.Service.CallStarted.WaitAsync(TimeSpan.FromSeconds(10)));
        // Sent after the slow call, answered before it.
        Assert.Equal(9, await client.AddAsync(4, 5));
        Assert.False(slow.IsCompleted);
        await slow;
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Answers_sent_by_the_connection_thread_and_by_calls_completing_elsewhere_never_mix(IpcTransport transport)
    {
        // Add completes on the server's connection thread, which sends its answer without the send lock while
        // no call of the connection is completing elsewhere; DivideAsync completes on the thread pool, with it.
        using var server = new InProcessServer(transport);
        using var client = server.Connect();
        const int Rounds = 2_000, Width = 16;
        Task elsewhere = Task.Run(async () =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                var pending = Enumerable.Range(0, Width).Select(i => client.DivideAsync(round * Width + i, 2).AsTask()).ToArray();
                for (int i = 0; i < Width; i++)
                {
                    Assert.Equal((round * Width + i) / 2.0, await pending[i]);
                }
            }
        });
        Task onConnectionThread = Task.Run(() =>
        {
            for (int i = 0; i < Rounds * Width; i++)
            {
                Assert.Equal(i + 1, client.Add(i, 1));
            }
        });
        await Task.WhenAll(elsewhere, onConnectionThread).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(client.Client.IsConnected);
    }

    [Theory]
    [MemberData(nameof(TestTransports.All), MemberType = typeof(TestTransports))]
    public async Task Many_clients_with_many_concurrent_calls_each_get_their_own_answers(IpcTransport transport)
    {
        using var server = new InProcessServer(transport);
        const int Clients = 8;
        const int CallsPerClient = 200;
        var clients = Enumerable.Range(0, Clients).Select(_ => server.Connect()).ToArray();
        try
        {
            var calls = new List<Task>();
            for (int c = 0; c < Clients; c++)
            {
                var client = clients[c];
                int offset = c * 1_000_000;
                calls.Add(Task.Run(async () =>
                {
                    var pending = new Task<string>[CallsPerClient];
                    for (int i = 0; i < CallsPerClient; i++)
                    {
                        pending[i] = client.EchoAsync($"{offset + i}");
                    }
                    for (int i = 0; i < CallsPerClient; i++)
                    {
                        Assert.Equal($"{offset + i}", await pending[i]);
                    }
                }));
                calls.Add(Task.Run(() =>
                {
                    for (int i = 0; i < CallsPerClient; i++)
                    {
                        Assert.Equal(offset + 2 * i, client.Add(offset + i, i));
                    }
                }));
            }
            await Task.WhenAll(calls);
            Assert.Equal(Clients, server.Server.ConnectionCount);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
        Eventually.True(() => server.Server.ConnectionCount == 0, "disposed clients' connections closed");
    }
}
