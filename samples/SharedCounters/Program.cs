using System.Diagnostics;
using IpcGen;
using SharedCounters;

// One program, two roles. Started without arguments it is the coordinator: it creates the shared regions,
// starts worker processes (this same program, `worker <name> <index> <iterations>`), waits for them and
// checks that not one update was lost.
const int Workers = 4;
const int Iterations = 50_000;

if (args is ["worker", string name, string index, string iterations])
{
    return Work(name, int.Parse(index), int.Parse(iterations));
}
return Coordinate();

static int Coordinate()
{
    string name = $"shared-counters-{Environment.ProcessId}";
    using var counters = SharedRegion<Counters>.Create(name);
    using var slots = SharedRegion<WorkerSlot>.Create(name + "-slots", Workers);
    Console.WriteLine($"Created regions '{counters.Name}' ({counters.Path}) and '{slots.Name}' with {slots.Length} worker slots.");

    var watch = Stopwatch.StartNew();
    var processes = new List<Process>();
    try
    {
        for (int i = 0; i < Workers; i++)
        {
            processes.Add(StartWorker(name, i, Iterations));
        }
        foreach (Process process in processes)
        {
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"Worker process {process.Id} failed with exit code {process.ExitCode}.");
                return 1;
            }
        }
    }
    finally
    {
        foreach (Process process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            process.Dispose();
        }
    }

    long expectedTotal = 0;
    for (int i = 0; i < Workers; i++)
    {
        expectedTotal += (long)(i + 1) * Iterations;
        Console.WriteLine($"  worker {i}: {Volatile.Read(ref slots[i].Done)} iterations");
    }

    long hits = Volatile.Read(ref counters.Value.Hits);
    long updates, total;
    using (counters.Lock())
    {
        updates = counters.Value.Updates;
        total = counters.Value.Total;
    }

    Console.WriteLine($"{Workers} processes x {Iterations} iterations in {watch.ElapsedMilliseconds} ms:");
    Console.WriteLine($"  Hits    (Interlocked)      = {hits} (expected {Workers * Iterations})");
    Console.WriteLine($"  Updates (under the lock)   = {updates} (expected {Workers * Iterations})");
    Console.WriteLine($"  Total   (under the lock)   = {total} (expected {expectedTotal})");
    bool correct = hits == Workers * Iterations && updates == Workers * Iterations && total == expectedTotal;
    Console.WriteLine(correct ? "All counters are exact." : "COUNTS ARE WRONG.");
    return correct ? 0 : 1;
}

static int Work(string name, int index, int iterations)
{
    using var counters = SharedRegion<Counters>.Open(name);
    using var slots = SharedRegion<WorkerSlot>.Open(name + "-slots");
    for (int i = 1; i <= iterations; i++)
    {
        Interlocked.Increment(ref counters.Value.Hits);
        using (SharedMutexGuard guard = counters.Lock())
        {
            if (guard.OwnerDied)
            {
                Console.WriteLine($"Worker {index}: the previous lock owner died; its update may be incomplete.");
            }
            counters.Value.Updates++;
            counters.Value.Total += index + 1;
            counters.Value.LastWorker = index;
        }
        Volatile.Write(ref slots[index].Done, i);
    }
    return 0;
}

static Process StartWorker(string name, int index, int iterations)
{
    // Re-launch this program: through its apphost, or through `dotnet SharedCounters.dll` when started that way.
    string self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable this is.");
    var start = new ProcessStartInfo(self);
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Counters).Assembly.Location);
    }
    foreach (string argument in new[] { "worker", name, index.ToString(), iterations.ToString() })
    {
        start.ArgumentList.Add(argument);
    }
    return Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker process.");
}
