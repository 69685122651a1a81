using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using IpcGen.Protocol;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports;
using IpcGen.Transports.MessageQueue;
using IpcGen.Transports.Queues;
using Mono.Unix.Native;

namespace IpcGen.Tests.Transports.MessageQueue;

/// <summary>A contract whose second method is urgent: on POSIX queues its calls overtake queued bulk calls.</summary>
[IpcService]
public partial interface IPriorityProbe
{
    /// <summary>The first call blocks on the server until <see cref="PriorityProbe.Gate"/> opens.</summary>
    int Bulk(int n);

    [IpcPriority(20)]
    int Urgent(int n);

    /// <summary>A result far larger than a client's reply queue holds.</summary>
    [IpcMethod(Id = 50)]
    byte[] Big(int size);
}

public sealed class PriorityProbe : IPriorityProbe
{
    private int _bulkCalls;

    public ManualResetEventSlim Gate { get; } = new(false);
    public SemaphoreSlim FirstBulkStarted { get; } = new(0);
    public ConcurrentQueue<string> Order { get; } = new();

    public int Bulk(int n)
    {
        if (Interlocked.Increment(ref _bulkCalls) == 1)
        {
            FirstBulkStarted.Release();
            Gate.Wait(TimeSpan.FromSeconds(30));
        }
        Order.Enqueue($"bulk{n}");
        return n;
    }

    public int Urgent(int n)
    {
        Order.Enqueue("urgent");
        return n;
    }

    public byte[] Big(int size) => new byte[size];
}

/// <summary>What the POSIX message-queue transport adds to the behaviour suite.</summary>
public sealed class MessageQueueTransportTests
{
    private const int ProtocolViolation = 7;
    private const int MessageDropped = 12;

    private static IpcServer ServeProbe(PriorityProbe probe, string endpoint)
        => IPriorityProbe.Serve(probe, new IpcServerOptions { Endpoint = endpoint, Transport = IpcTransport.MessageQueue });

    private static IPriorityProbe.IpcProxy ConnectProbe(string endpoint)
        => IPriorityProbe.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = IpcTransport.MessageQueue });

    private static Task<int> OnOwnThread(Func<int> call) => Task.Factory.StartNew(call, TaskCreationOptions.LongRunning);

    [Fact]
    public void Arguments_and_results_larger_than_a_queue_message_travel_in_fragments()
    {
        using var server = new InProcessServer(IpcTransport.MessageQueue);
        using var client = server.Connect();
        var data = new byte[(1 << 20) + 12_345];
        new Random(7).NextBytes(data);
        long expected = 0;
        foreach (byte b in data)
        {
            expected += b;
        }
        Assert.Equal(expected, client.Sum(data));
        byte[] blob = client.Blob((3 << 19) + 1);
        Assert.Equal((3 << 19) + 1, blob.Length);
        Assert.Equal(5, client.Add(2, 3)); // the stream is still in step after the fragments
    }

    [Fact]
    public async Task An_urgent_call_overtakes_bulk_calls_waiting_in_the_queue()
    {
        var probe = new PriorityProbe();
        string endpoint = TestEnvironment.NewEndpoint();
        using IpcServer server = ServeProbe(probe, endpoint);
        var listener = (MqListener)server.Listener;
        using var client = ConnectProbe(endpoint);
        try
        {
            Task<int> first = OnOwnThread(() => client.Bulk(0));
            Assert.True(probe.FirstBulkStarted.Wait(TimeSpan.FromSeconds(10)));

            // The connection's thread is held in Bulk(0): everything sent now waits, in the kernel queue or
            // (taken out by the accept thread) in the connection's mailbox.
            Task<int>[] bulks = Enumerable.Range(1, 4).Select(i => OnOwnThread(() => client.Bulk(i))).ToArray();
            Eventually.True(() => listener.PendingRequests == 4, "four bulk calls queued");
            Task<int> urgent = OnOwnThread(() => client.Urgent(99));
            Eventually.True(() => listener.PendingRequests == 5, "the urgent call queued behind them");

            probe.Gate.Set();
            Assert.Equal(99, await urgent);
            Assert.Equal(new[] { 0, 1, 2, 3, 4 }, await Task.WhenAll(bulks.Prepend(first)));
            Assert.Equal(new[] { "bulk0", "urgent" }, probe.Order.Take(2));
        }
        finally
        {
            probe.Gate.Set();
        }
    }

    [Fact]
    public async Task Other_connections_and_new_clients_are_served_while_one_connection_runs_a_long_call()
    {
        var probe = new PriorityProbe();
        string endpoint = TestEnvironment.NewEndpoint();
        using IpcServer server = ServeProbe(probe, endpoint);
        // The other connection first, idle: its thread reads the queue, so the busy connection's call reaches
        // its thread through the mailbox, and that thread must not be handed the reader role while busy.
        using var other = ConnectProbe(endpoint);
        Assert.Equal(0, other.Urgent(0));
        using var busy = ConnectProbe(endpoint);
        try
        {
            Task<int> held = OnOwnThread(() => busy.Bulk(0));
            Assert.True(probe.FirstBulkStarted.Wait(TimeSpan.FromSeconds(10)));
            Assert.Equal(1, other.Urgent(1));
            Assert.Equal(11, other.Urgent(11));

            // A newcomer must still get in and be served.
            using var newcomer = ConnectProbe(endpoint);
            Assert.Equal(2, newcomer.Urgent(2));
            Assert.Equal(3, other.Bulk(3));
            Assert.False(held.IsCompleted);
            probe.Gate.Set();
            Assert.Equal(0, await held);
        }
        finally
        {
            probe.Gate.Set();
        }
    }

    [Fact]
    public void Queue_names_carry_the_uid_and_the_queues_are_private_to_the_user()
    {
        using var server = new InProcessServer(IpcTransport.MessageQueue);
        string queue = server.Server.Endpoint;
        Assert.StartsWith($"/ipcgen.{Syscall.getuid()}.", queue);
        Assert.Equal(queue, MqNames.RequestQueue(server.Endpoint));
        int mqd = Interop.Mqueue.Open(queue, Interop.Mqueue.O_WRONLY | Interop.Mqueue.O_NONBLOCK);
        Assert.True(mqd >= 0);
        try
        {
            Assert.Equal(0, Syscall.fstat(mqd, out Stat stat));
            Assert.Equal(FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, stat.st_mode & (FilePermissions)0b111_111_111);
            Interop.Mqueue.MqAttr attributes = Interop.Mqueue.Attributes(mqd);
            Assert.Equal(MqGeometry.Request, (attributes.MaxMessages, attributes.MessageSize));
            Assert.True(attributes.MaxMessages <= long.Parse(File.ReadAllText("/proc/sys/fs/mqueue/msg_max").Trim()));
            Assert.True(attributes.MessageSize <= long.Parse(File.ReadAllText("/proc/sys/fs/mqueue/msgsize_max").Trim()));
        }
        finally
        {
            Interop.Mqueue.Close(mqd);
        }
    }

    [Fact]
    public void A_long_endpoint_name_is_shortened_to_a_valid_queue_name()
    {
        string endpoint = TestEnvironment.NewEndpoint() + new string('x', 300) + "/with.dots";
        string queue = MqNames.RequestQueue(endpoint.Replace("/", "-"));
        Assert.True(queue.Length <= 255 - 22, queue);
        Assert.DoesNotContain('/', queue[1..]);
        using var server = new InProcessServer(IpcTransport.MessageQueue, endpoint: endpoint.Replace("/", "-"));
        using var client = server.Connect();
        Assert.Equal(2, client.Add(1, 1));
    }

    [Fact]
    public async Task Running_out_of_the_per_user_queue_budget_is_reported_as_RLIMIT_MSGQUEUE()
    {
        // A server whose process may hold only 4 KiB of queues cannot create its request queue.
        var info = new ProcessStartInfo("prlimit") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "--msgqueue=4096", "dotnet", RemoteHost.HostAssembly, "serve", TestEnvironment.NewEndpoint(), nameof(IpcTransport.MessageQueue) })
        {
            info.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        Assert.NotEqual(0, process.ExitCode);
        Assert.DoesNotContain("READY", await stdout);
        Assert.Contains("RLIMIT_MSGQUEUE = 4,096 bytes", await stderr);
    }

    [Fact]
    public void A_restarted_server_unlinks_the_reply_queues_that_pending_connects_name()
    {
        string endpoint = TestEnvironment.NewEndpoint();
        using (RemoteHost host = RemoteHost.Start("serve", endpoint, IpcTransport.MessageQueue))
        {
            host.KillHard();
        }
        // A client killed after announcing itself and before the server took it leaves its reply queue.
        string queue = MqNames.RequestQueue(endpoint);
        string orphan = MqNames.ReplyQueue(queue, 999_999, 7);
        int orphanMqd = Interop.Mqueue.Create(orphan, Interop.Mqueue.O_RDONLY, 1, 64);
        Assert.True(orphanMqd >= 0);
        Interop.Mqueue.Close(orphanMqd);
        SendRaw(queue, message => QueueMessage.WriteConnect(message, 999_999, 7));
        Assert.True(EndpointLeftovers.PosixQueueExists(orphan));

        using (var server = new InProcessServer(IpcTransport.MessageQueue, endpoint: endpoint))
        {
            Assert.False(EndpointLeftovers.PosixQueueExists(orphan));
            using var client = server.Connect();
            Assert.Equal(2, client.Add(1, 1));
        }
        Assert.All(EndpointLeftovers.Of(endpoint, IpcTransport.MessageQueue), o => Assert.False(o.Exists, o.What));
    }

    [Fact]
    public void Reply_queue_names_are_gone_once_connected()
    {
        using var server = new InProcessServer(IpcTransport.MessageQueue);
        using var client = server.Connect();
        Assert.Equal(2, client.Add(1, 1));
        Assert.Empty(EndpointLeftovers.ClientObjects(server.Endpoint, IpcTransport.MessageQueue));
    }

    [Theory]
    [InlineData("envelope", "malformed message-queue envelope")]
    [InlineData("continue-first", "no fragmented frame begun")]
    [InlineData("connect-inside", "unexpected Connect message inside a connection")]
    [InlineData("begin-then-bye", "closed in the middle of a frame")]
    [InlineData("overlong-piece", "longer than its header says")]
    public async Task A_malformed_message_closes_only_its_connection(string kind, string reason)
    {
        using var server = new InProcessServer(IpcTransport.MessageQueue);
        using var bystander = server.Connect();
        using var raw = (MqChannel)await MqConnector.ConnectAsync(server.Endpoint, TimeSpan.FromSeconds(10), CancellationToken.None);
        uint id = raw.Connection;
        string queue = server.Server.Endpoint;
        switch (kind)
        {
            case "envelope":
                SendRaw(queue, message =>
                {
                    QueueMessage.WriteHeader(message, id, QueueMessageKind.Whole);
                    message[5] = 1; // nonzero padding
                    return 24;
                });
                break;
            case "continue-first":
                SendRaw(queue, message =>
                {
                    QueueMessage.WriteHeader(message, id, QueueMessageKind.Continue);
                    return 40;
                });
                break;
            case "connect-inside":
                SendRaw(queue, message =>
                {
                    QueueMessage.WriteHeader(message, id, QueueMessageKind.Connect);
                    return 16;
                });
                break;
            case "begin-then-bye":
            case "overlong-piece":
                SendRaw(queue, message =>
                {
                    QueueMessage.WriteHeader(message, id, QueueMessageKind.Begin);
                    new FrameHeader(3000, FrameKind.Handshake, 0, 0, 0).Write(message.Slice(QueueMessage.HeaderSize));
                    return QueueMessage.HeaderSize + 2000; // of 3,016 frame bytes
                });
                SendRaw(queue, message =>
                {
                    QueueMessage.WriteHeader(message, id, kind == "begin-then-bye" ? QueueMessageKind.Bye : QueueMessageKind.End);
                    return kind == "begin-then-bye" ? QueueMessage.HeaderSize : QueueMessage.HeaderSize + 2000;
                });
                break;
        }
        server.Log.WaitFor(ProtocolViolation, reason);
        Assert.False(raw.TryReceive(4096, out _, out _)); // the server said Bye
        Assert.Equal(5, bystander.Add(2, 3));
        using var newcomer = server.Connect();
        Assert.Equal(7, newcomer.Add(3, 4));
    }

    [Fact]
    public async Task Shutdown_wakes_a_receive_blocked_in_the_queue()
    {
        // The server must not end the wait by dropping the silent connection (and saying Bye).
        using var server = new InProcessServer(IpcTransport.MessageQueue, o => o.HandshakeTimeout = TimeSpan.FromMinutes(10));
        using var channel = (MqClientChannel)await MqConnector.ConnectAsync(server.Endpoint, TimeSpan.FromSeconds(10), CancellationToken.None);
        channel.LivenessSliceMs = 600_000; // only the wake-up message can end this wait
        Task<bool> receiving = Task.Factory.StartNew(() => channel.TryReceive(4096, out _, out _), TaskCreationOptions.LongRunning);
        await Task.Delay(50);
        Assert.False(receiving.IsCompleted); // nothing to receive: it blocks in mq_timedreceive
        channel.Shutdown();
        Assert.Same(receiving, await Task.WhenAny(receiving, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.False(await receiving);
    }

    [Fact]
    public async Task A_server_waiting_for_room_in_a_reply_queue_is_released_by_stopping()
    {
        var probe = new PriorityProbe();
        string endpoint = TestEnvironment.NewEndpoint();
        IpcServer server = ServeProbe(probe, endpoint);
        using var raw = (MqClientChannel)await MqConnector.ConnectAsync(endpoint, TimeSpan.FromSeconds(10), CancellationToken.None);
        try
        {
            // A client that asks for a megabyte and never reads it: the server fills its reply queue and waits.
            var writer = new FrameWriter();
            writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
            new Handshake(IPriorityProbe.IpcContractFingerprint, 16 << 20, IPriorityProbe.IpcContractName).Write(writer);
            raw.Send(writer.Complete());
            writer.Release();
            Assert.True(raw.TryReceive(4096, out FrameHeader ack, out _));
            Assert.Equal(FrameKind.HandshakeAck, ack.Kind);
            var request = new byte[FrameHeader.Size + 4];
            new FrameHeader(4, FrameKind.Request, 0, 50, 1).Write(request);
            BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(FrameHeader.Size), 1 << 20);
            raw.Send(request);
            Eventually.True(() => raw.ReplyQueueDepth == raw.ReplyQueueCapacity, "the reply queue is full");
        }
        finally
        {
            server.Dispose();
        }
        // The client is alive and silent: only the stop's wake-up frees the server's sender from poll(POLLOUT).
        Eventually.True(() => server.ConnectionCount == 0, "the connection thread finished");
    }

    [Fact]
    public void Stopping_the_server_wakes_the_connection_thread_waiting_in_the_request_queue()
    {
        var probe = new PriorityProbe();
        string endpoint = TestEnvironment.NewEndpoint();
        IpcServer server = ServeProbe(probe, endpoint);
        ((MqListener)server.Listener).Router.LivenessSliceMs = 600_000; // only the wake-up message can end a wait
        using var client = ConnectProbe(endpoint); // connected, and silent until the server has stopped
        try
        {
            Assert.Equal(1, client.Urgent(1)); // its connection thread now waits for the next request as the reader
        }
        finally
        {
            server.Dispose();
        }
        Eventually.True(() => server.ConnectionCount == 0, "the connection thread finished");
    }

    [Fact]
    public void A_message_for_an_unknown_connection_is_dropped_with_a_log_line()
    {
        using var server = new InProcessServer(IpcTransport.MessageQueue);
        using var client = server.Connect();
        SendRaw(server.Server.Endpoint, message =>
        {
            QueueMessage.WriteHeader(message, 0x0BAD_F00D, QueueMessageKind.Whole);
            return 40;
        });
        server.Log.WaitFor(MessageDropped, "connection " + 0x0BAD_F00D);
        Assert.Equal(5, client.Add(2, 3));
    }

    [Fact]
    public void A_forged_connect_naming_a_dead_process_is_ignored()
    {
        using var server = new InProcessServer(IpcTransport.MessageQueue);
        SendRaw(server.Server.Endpoint, message => QueueMessage.WriteConnect(message, int.MaxValue - 1, 1));
        SendRaw(server.Server.Endpoint, message =>
        {
            message.Fill(0xEE); // connection 0xEEEEEEEE: no such connection
            return 3;
        });
        using var client = server.Connect();
        Assert.Equal(3, client.Add(1, 2));
    }

    /// <summary>Puts one hand-made message on a queue, as a hostile local process could.</summary>
    private static unsafe void SendRaw(string queue, SpanFunc write)
    {
        var message = new byte[8192];
        int length = write(message);
        int mqd = Interop.Mqueue.Open(queue, Interop.Mqueue.O_WRONLY | Interop.Mqueue.O_NONBLOCK);
        Assert.True(mqd >= 0, $"mq_open {queue}: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            fixed (byte* bytes = message)
            {
                Assert.Equal(0, Interop.Mqueue.Send(mqd, bytes, (nuint)length, 0));
            }
        }
        finally
        {
            Interop.Mqueue.Close(mqd);
        }
    }

    private delegate int SpanFunc(Span<byte> message);
}
