using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using IpcGen.Benchmarks;

// dotnet run -c Release --project tests/IpcGen.Benchmarks -- --percentiles [--floor /tmp/ipc_floor] [--calls N] [--only SharedMemory]
//     per-call p50/p99 of every transport (or those whose name contains --only), next to the C floor measured in the same run
// dotnet run -c Release --project tests/IpcGen.Benchmarks -- --pairs N --floor /tmp/ipc_floor [--calls N]
//     the shared-memory Spin round trip against the C shm spin floor, in N alternating runs, with the median ratio
// dotnet run -c Release --project tests/IpcGen.Benchmarks -- --layers [--calls N]
//     a shared-memory round trip layer by layer: two words, the ring alone, a whole call (Spin)
// dotnet run -c Release --project tests/IpcGen.Benchmarks -- --short --filter '*'
//     the BenchmarkDotNet suite (round trips, payload sizes, one-way throughput, allocations), short jobs
// dotnet run -c Release --project tests/IpcGen.Benchmarks -- --filter '*'
//     the same with BenchmarkDotNet's default (long, precise) jobs
if (args.Contains("--percentiles"))
{
    int calls = ArgValue("--calls") is { } n ? int.Parse(n) : 100_000;
    Percentiles.Run(calls, ArgValue("--floor"), ArgValue("--only"));
    return;
}

if (ArgValue("--pairs") is { } pairs)
{
    string floorPath = ArgValue("--floor") ?? throw new ArgumentException("--pairs needs --floor <path to the built ipc_floor>");
    Percentiles.Pairs(int.Parse(pairs), ArgValue("--calls") is { } n ? int.Parse(n) : 200_000, floorPath);
    return;
}

if (args.Contains("--client-alone"))
{
    Layers.ClientAloneOnly(ArgValue("--calls") is { } n ? int.Parse(n) : 20_000_000);
    return;
}

if (args.Contains("--layers"))
{
    Layers.Run(ArgValue("--calls") is { } n ? int.Parse(n) : 200_000);
    return;
}

IConfig config = DefaultConfig.Instance;
if (args.Contains("--short"))
{
    config = config.AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(5));
    args = args.Where(a => a != "--short").ToArray();
}
BenchmarkSwitcher.FromAssembly(typeof(IBench).Assembly).Run(args, config);

string? ArgValue(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
