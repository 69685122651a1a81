using System.Diagnostics;

namespace IpcGen.Benchmarks;

/// <summary>
/// Per-call round-trip percentiles of <c>Add</c>, measured call by call like
/// ../shared/tools/ipc_floor.c measures its floor, and printed next to that floor when the C tool is
/// available, so the ratio comes from one run on one machine.
/// </summary>
public static class Percentiles
{
    public static void Run(int calls, string? floorPath, string? only = null)
    {
        var floor = floorPath is null ? new Dictionary<string, double>() : RunFloor(floorPath);
        Console.WriteLine($"round trip of int Add(int, int), {calls:N0} calls after warm-up, {Environment.ProcessorCount} cpus");
        Console.WriteLine($"{"transport",-24} {"p50",9} {"p99",9} {"p99.9",9}   {"C floor p50",11}  ratio");
        foreach (BenchTarget target in BenchTarget.All())
        {
            if (only is not null && !target.ToString().Contains(only, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            IpcServer server;
            IBench.IpcProxy client;
            try
            {
                (server, client) = target.Start();
            }
            catch (ArgumentOutOfRangeException)
            {
                // A transport reserved in the enum whose implementation this build does not map yet.
                Console.WriteLine($"{target,-24} (not available in this build)");
                continue;
            }
            try
            {
                WarmUp(client);
                var samples = new long[calls];
                for (int i = 0; i < calls; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    client.Add(i, 1);
                    samples[i] = Stopwatch.GetTimestamp() - start;
                }
                Array.Sort(samples);
                double Ns(double q) => samples[(int)(q * (samples.Length - 1))] * 1e9 / Stopwatch.Frequency;
                string floorRow = FloorRow(target);
                string ratio = floor.TryGetValue(floorRow, out double c) ? $"{Ns(0.5) / c,5:0.00}x  ({floorRow})" : "";
                string cText = floor.TryGetValue(floorRow, out double cc) ? $"{cc,8:0} ns" : "";
                Console.WriteLine($"{target,-24} {Ns(0.5),6:0} ns {Ns(0.99),6:0} ns {Ns(0.999),6:0} ns   {cText,11}  {ratio}");
            }
            finally
            {
                client.Dispose();
                server.Dispose();
            }
        }
    }

    /// <summary>
    /// Ten rounds of 20,000 calls, each followed by a pause: the JIT compiles its optimized code on a
    /// background thread, which two spinning threads would otherwise starve on a 2-core machine.
    /// </summary>
    public static void WarmUp(IBench.IpcProxy client)
    {
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 20_000; i++)
            {
                client.Add(i, 1);
            }
            Thread.Sleep(200);
        }
    }

    /// <summary>The ipc_floor row a target compares with.</summary>
    private static string FloorRow(BenchTarget target) => (target.Transport, target.Strategy) switch
    {
        (IpcTransport.SharedMemory, IpcWaitStrategy.Spin) => "shm spin",
        (IpcTransport.SharedMemory, _) => "shm futex",
        (IpcTransport.UnixSocket, _) => "uds stream",
        _ => target.Transport.ToString() switch
        {
            "Pipe" => "pipe",
            "MessageQueue" => "posix mq",
            "SystemVMessageQueue" => "sysv mq",
            _ => "",
        },
    };

    private static Dictionary<string, double> RunFloor(string path)
    {
        var result = new Dictionary<string, double>();
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Console.WriteLine("C floor (" + path + "):");
        Console.Write(output);
        foreach (string line in output.Split('\n'))
        {
            int p50 = line.IndexOf("p50", StringComparison.Ordinal);
            if (p50 <= 0)
            {
                continue;
            }
            string name = line[..p50].Trim();
            string[] rest = line[(p50 + 3)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (rest.Length > 0 && double.TryParse(rest[0], out double ns))
            {
                result[name] = ns;
            }
        }
        Console.WriteLine();
        return result;
    }
}
