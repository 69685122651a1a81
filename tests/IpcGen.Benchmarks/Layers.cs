using System.Diagnostics;
using System.Runtime.InteropServices;
using IpcGen.Transports.SharedMemory;

namespace IpcGen.Benchmarks;

/// <summary>
/// Where a shared-memory round trip's time goes, layer by layer, between two threads of this process
/// (cache-line transfers cost the same between threads as between processes): the bare ping-pong of
/// two words, as <c>shm spin</c> in ../shared/tools/ipc_floor.c does it; the ring alone; a whole call.
/// Run: <c>dotnet run -c Release --project tests/IpcGen.Benchmarks -- --layers [--calls N]</c>.
/// </summary>
public static unsafe class Layers
{
    public static void Run(int calls)
    {
        Console.WriteLine($"shared-memory round trip by layer, Spin, {calls:N0} round trips, {Environment.ProcessorCount} cpus");
        ClientAlone(calls * 10);
        Report("two words (the C floor's loop)", Warm(() => WordPingPong(calls)));
        Report("ring records, 40 bytes", Warm(() => RingPingPong(calls)));
        Report("frames to the real server", RawClient(calls));
        Report("whole call: Add(int, int)", WholeCall(calls));
    }

    /// <summary>Runs a layer once to warm up, pauses so the JIT's background thread gets a core, then measures.</summary>
    private static long[] Warm(Func<long[]> layer)
    {
        layer();
        Thread.Sleep(300);
        return layer();
    }

    private static void Report(string name, long[] samples)
    {
        Array.Sort(samples);
        double Ns(double q) => samples[(int)(q * (samples.Length - 1))] * 1e9 / Stopwatch.Frequency;
        Console.WriteLine($"{name,-34} p50 {Ns(0.5),6:0} ns   p99 {Ns(0.99),6:0} ns");
    }

    private static long[] WordPingPong(int calls)
    {
        long* words = (long*)NativeMemory.AlignedAlloc(256, 128);
        long* ping = words;
        long* pong = words + 16;
        *ping = 0;
        *pong = 0;
        int total = calls + 100_000;
        var echo = new Thread(() =>
        {
            for (long i = 1; i <= total; i++)
            {
                while (Volatile.Read(ref *ping) != i)
                {
                    Thread.SpinWait(1);
                }
                Volatile.Write(ref *pong, i);
            }
        });
        echo.Start();
        var samples = new long[calls];
        for (long i = 1; i <= total; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Volatile.Write(ref *ping, i);
            while (Volatile.Read(ref *pong) != i)
            {
                Thread.SpinWait(1);
            }
            if (i > 100_000)
            {
                samples[i - 100_001] = Stopwatch.GetTimestamp() - start;
            }
        }
        echo.Join();
        NativeMemory.AlignedFree(words);
        return samples;
    }

    private sealed class Open : IRingOwner
    {
        public bool IsClosed => false;
    }

    private static long[] RingPingPong(int calls)
    {
        const int capacity = 64 * 1024;
        long block = SharedMemoryLayout.RingBlock(capacity);
        byte* memory = (byte*)NativeMemory.AlignedAlloc((nuint)(2 * block), 4096);
        new Span<byte>(memory, (int)(2 * block)).Clear();
        var owner = new Open();
        long key = SharedMemoryLayout.NewTagKey();
        var requestsOut = new SharedMemoryRing(memory, capacity, key, IpcWaitStrategy.Spin, owner);
        var requestsIn = new SharedMemoryRing(memory, capacity, key, IpcWaitStrategy.Spin, owner);
        var answersOut = new SharedMemoryRing(memory + block, capacity, key, IpcWaitStrategy.Spin, owner);
        var answersIn = new SharedMemoryRing(memory + block, capacity, key, IpcWaitStrategy.Spin, owner);
        requestsOut.AnnounceProducer();
        requestsIn.AnnounceConsumer();
        answersOut.AnnounceProducer();
        answersIn.AnnounceConsumer();
        int total = calls + 100_000;
        var echo = new Thread(() =>
        {
            Span<byte> copy = stackalloc byte[40];
            for (int i = 0; i < total; i++)
            {
                requestsIn.TryRead(out _, out byte* content, out int length);
                new ReadOnlySpan<byte>(content, length).CopyTo(copy);
                answersOut.Write(SharedMemoryRing.TypeFrame, copy.Slice(0, length));
            }
            requestsIn.Release();
        });
        echo.Start();
        var samples = new long[calls];
        Span<byte> message = stackalloc byte[40];
        for (int i = 0; i < total; i++)
        {
            long start = Stopwatch.GetTimestamp();
            requestsOut.Write(SharedMemoryRing.TypeFrame, message);
            answersIn.TryRead(out _, out _, out _);
            if (i >= 100_000)
            {
                samples[i - 100_000] = Stopwatch.GetTimestamp() - start;
            }
        }
        echo.Join();
        NativeMemory.AlignedFree(memory);
        return samples;
    }

    /// <summary>
    /// The server as it is, the client reduced to its channel: hand-built request frames for Add, answers
    /// read and released. What is left between this and the ring is the server's share.
    /// </summary>
    private static long[] RawClient(int calls)
    {
        string endpoint = $"bench-raw-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        using IpcServer server = IBench.Serve(new BenchService(), new IpcServerOptions { Endpoint = endpoint, Transport = IpcTransport.SharedMemory, WaitStrategy = IpcWaitStrategy.Spin });
        var options = new IpcClientOptions { Endpoint = endpoint, Transport = IpcTransport.SharedMemory, WaitStrategy = IpcWaitStrategy.Spin };
        using var channel = IpcGen.Transports.TransportFactory.ConnectAsync(IpcTransport.SharedMemory, endpoint, options, default).AsTask().GetAwaiter().GetResult();
        var writer = new IpcGen.Protocol.FrameWriter();
        writer.Reset(IpcGen.Protocol.FrameKind.Handshake, 0, 0, int.MaxValue);
        new IpcGen.Protocol.Handshake(IBench.IpcContractFingerprint, 1 << 20, IBench.IpcContractName).Write(writer);
        channel.Send(writer.Complete());
        channel.TryReceive(4096, out _, out _);
        Span<byte> request = stackalloc byte[24];
        int total = calls + 100_000;
        var samples = new long[calls];
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < total; i++)
            {
                long start = Stopwatch.GetTimestamp();
                new IpcGen.Protocol.FrameHeader(8, IpcGen.Protocol.FrameKind.Request, 0, 0xE3EB3AAFu, (uint)i + 1).Write(request);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(request.Slice(16), i);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(request.Slice(20), 1);
                channel.Send(request);
                channel.TryReceive(4096, out _, out _);
                channel.ReleaseReceived();
                if (i >= 100_000)
                {
                    samples[i - 100_000] = Stopwatch.GetTimestamp() - start;
                }
            }
            Thread.Sleep(300);
        }
        writer.Release();
        return samples;
    }

    /// <summary>
    /// The client's own cost per call, on one thread with no other side: a channel that answers every request
    /// at once from memory. No cache line crosses cores, so this is CPU time, not latency.
    /// </summary>
    public static void ClientAloneOnly(int calls) => ClientAlone(calls);

    private static void ClientAlone(int calls)
    {
        var channel = new LoopbackChannel();
        var client = new IBench.IpcProxy(IpcGen.Runtime.IpcClient.Open(channel, IBench.IpcContractName, IBench.IpcContractFingerprint, "loopback", new IpcClientOptions(), Environment.TickCount64));
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 100_000; i++)
            {
                client.Add(i, 1);
            }
            Thread.Sleep(100);
        }
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            client.Add(i, 1);
        }
        double ns = (Stopwatch.GetTimestamp() - start) * 1e9 / Stopwatch.Frequency / calls;
        Console.WriteLine($"{"client alone (loopback channel)",-34} {ns,6:0.0} ns per call, CPU");
        client.Dispose();
    }

    /// <summary>
    /// Answers each frame as it is sent: a handshake with the same contract, a request with the int 2. Takes
    /// every frame without waiting, as a shared-memory ring with room does, so the client takes the same path
    /// it takes over shared memory.
    /// </summary>
    private sealed class LoopbackChannel : IpcGen.Transports.FrameChannel
    {
        private readonly byte[] _answer = new byte[256];
        private int _answerLength;
        private bool _closed;

        public override bool CanSendWithoutWaiting => true;

        protected override bool TrySendWithoutWaitingCore(ReadOnlySpan<byte> frame)
        {
            SendCore(frame);
            return true;
        }

        public override PeerCredentials Peer => default;

        public override bool TryReceive(int maxPayloadLength, out IpcGen.Protocol.FrameHeader header, out ReadOnlySpan<byte> payload)
        {
            if (_closed || _answerLength == 0)
            {
                header = default;
                payload = default;
                return false;
            }
            header = IpcGen.Protocol.FrameHeader.Read(_answer, maxPayloadLength);
            payload = _answer.AsSpan(IpcGen.Protocol.FrameHeader.Size, _answerLength - IpcGen.Protocol.FrameHeader.Size);
            _answerLength = 0;
            return true;
        }

        protected override void SendCore(ReadOnlySpan<byte> frame)
        {
            var request = IpcGen.Protocol.FrameHeader.Read(frame, int.MaxValue);
            if (request.Kind == IpcGen.Protocol.FrameKind.Handshake)
            {
                var writer = new IpcGen.Protocol.FrameWriter();
                writer.Reset(IpcGen.Protocol.FrameKind.HandshakeAck, 0, 0, int.MaxValue);
                new IpcGen.Protocol.Handshake(IBench.IpcContractFingerprint, 1 << 20, IBench.IpcContractName).Write(writer);
                ReadOnlySpan<byte> ack = writer.Complete();
                ack.CopyTo(_answer);
                _answerLength = ack.Length;
                writer.Release();
            }
            else if (request.Kind == IpcGen.Protocol.FrameKind.Request)
            {
                new IpcGen.Protocol.FrameHeader(4, IpcGen.Protocol.FrameKind.Response, 0, request.MethodId, request.CallId).Write(_answer);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_answer.AsSpan(IpcGen.Protocol.FrameHeader.Size), 2);
                _answerLength = IpcGen.Protocol.FrameHeader.Size + 4;
            }
        }

        public override void Shutdown() => _closed = true;

        public override void SetReceiveTimeout(TimeSpan? timeout)
        {
        }

        public override void Dispose() => _closed = true;
    }

    private static long[] WholeCall(int calls)
    {
        (IpcServer server, IBench.IpcProxy client) = new BenchTarget(IpcTransport.SharedMemory, IpcWaitStrategy.Spin).Start();
        try
        {
            Percentiles.WarmUp(client);
            var samples = new long[calls];
            for (int i = 0; i < calls; i++)
            {
                long start = Stopwatch.GetTimestamp();
                client.Add(i, 1);
                samples[i] = Stopwatch.GetTimestamp() - start;
            }
            return samples;
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
