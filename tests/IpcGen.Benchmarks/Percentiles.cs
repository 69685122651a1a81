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
                long[] samples = TimeCalls(client, calls);
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
    /// The <c>Spin</c> round trip against the C <c>shm spin</c> floor, in <paramref name="pairs"/> alternating
    /// runs: IpcGen with a fresh server, then, once its threads have stopped, the C program, whose spin test
    /// comes first. The floor moves with where the hypervisor places the two vCPUs, and a ratio means
    /// something only between measurements close in time. Prints every pair, then the medians.
    /// </summary>
    public static void Pairs(int pairs, int calls, string floorPath)
    {
        Console.WriteLine($"Spin round trip of int Add(int, int) against the C shm spin floor, {pairs} pairs, {calls:N0} calls each, {Environment.ProcessorCount} cpus");
        var floors = new List<double>();
        var ours = new List<double>();
        var ratios = new List<double>();
        for (int pair = 1; pair <= pairs; pair++)
        {
            (IpcServer server, IBench.IpcProxy client) = new BenchTarget(IpcTransport.SharedMemory, IpcWaitStrategy.Spin).Start();
            double p50;
            try
            {
                WarmUp(client);
                long[] samples = TimeCalls(client, calls);
                p50 = samples[samples.Length / 2] * 1e9 / Stopwatch.Frequency;
            }
            finally
            {
                client.Dispose();
                server.Dispose();
            }
            // At once, with no thread of ours spinning: the floor's spin test is the first it runs, so the two
            // measurements are a fraction of a second apart.
            double floor = RunFloor(floorPath, "30000", quiet: true)["shm spin"];
            floors.Add(floor);
            ours.Add(p50);
            ratios.Add(p50 / floor);
            Console.WriteLine($"pair {pair,2}: shm spin floor p50 {floor,6:0} ns   SharedMemory/Spin p50 {p50,6:0} ns   {p50 / floor,5:0.00}x");
        }
        static double Median(List<double> values)
        {
            var sorted = values.OrderBy(v => v).ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        }
        Console.WriteLine($"median:  shm spin floor p50 {Median(floors),6:0} ns   SharedMemory/Spin p50 {Median(ours),6:0} ns   median ratio {Median(ratios):0.00}x (range {ratios.Min():0.00}-{ratios.Max():0.00}x)");
    }

    /// <summary>Times each of <paramref name="calls"/> calls of <c>Add</c> on its own, as ipc_floor.c does; sorted, in Stopwatch ticks.</summary>
    private static long[] TimeCalls(IBench.IpcProxy client, int calls)
    {
        var samples = new long[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            client.Add(i, 1);
            samples[i] = Stopwatch.GetTimestamp() - start;
        }
        Array.Sort(samples);
        return samples;
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

    private static Dictionary<string, double> RunFloor(string path, string? iterations = null, bool quiet = false)
    {
        var result = new Dictionary<string, double>();
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        if (iterations is not null)
        {
            info.ArgumentList.Add(iterations);
        }
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (!quiet)
        {
            Console.WriteLine("C floor (" + path + "):");
            Console.Write(output);
        }
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
        if (!quiet)
        {
            Console.WriteLine();
        }
        return result;
    }
}
