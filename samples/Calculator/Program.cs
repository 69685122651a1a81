using System.Diagnostics;
using Calculator;
using IpcGen;

// One program, two roles: `serve <endpoint> <transport> <wait>` is the server process; started
// without it, the program launches that server as a child process, calls it, and stops it again.
//   dotnet run --project samples/Calculator [-- --transport UnixSocket|SharedMemory|MessageQueue|SystemVMessageQueue|Pipe] [--wait Adaptive|Spin|Blocking]
if (args is ["serve", string endpoint, string servedTransport, string servedWait])
{
    return Serve(endpoint, Enum.Parse<IpcTransport>(servedTransport), Enum.Parse<IpcWaitStrategy>(servedWait));
}
IpcTransport transport = Enum.Parse<IpcTransport>(Option("--transport") ?? nameof(IpcTransport.UnixSocket), ignoreCase: true);
IpcWaitStrategy wait = Enum.Parse<IpcWaitStrategy>(Option("--wait") ?? nameof(IpcWaitStrategy.Adaptive), ignoreCase: true);
return await RunClientAsync(transport, wait);

string? Option(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static int Serve(string endpoint, IpcTransport transport, IpcWaitStrategy wait)
{
    using IpcServer server = ICalculator.Serve(new CalculatorService(), new IpcServerOptions { Endpoint = endpoint, Transport = transport, WaitStrategy = wait });
    Console.WriteLine("ready");
    // Serve until the parent closes our stdin: it is done with us, or it died.
    Console.In.ReadToEnd();
    return 0;
}

static async Task<int> RunClientAsync(IpcTransport transport, IpcWaitStrategy wait)
{
    string endpoint = $"calculator-sample-{Environment.ProcessId}";
    Process server = await StartServerAsync(endpoint, transport, wait);
    try
    {
        Console.WriteLine($"Server process {server.Id} is serving '{endpoint}' over {transport}" + (transport == IpcTransport.SharedMemory ? $" ({wait})." : "."));
        using ICalculator.IpcProxy calculator = ICalculator.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport, WaitStrategy = wait });

        Show("Add(2, 3)", calculator.Add(2, 3));
        Show("DivideAsync(1, 4)", await calculator.DivideAsync(1, 4));
        try
        {
            await calculator.DivideAsync(1, 0);
        }
        catch (IpcRemoteException ex)
        {
            Show("DivideAsync(1, 0)", $"threw IpcRemoteException ({ex.RemoteTypeName}: {ex.RemoteMessage})");
        }
        Show("SummarizeAsync([3, 1, 4, 1, 5])", await calculator.SummarizeAsync([3, 1, 4, 1, 5]));

        calculator.Log("hello from the client"); // returns at once, no response
        Show("LoggedCount() after Log(...)", calculator.LoggedCount());

        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            var watch = Stopwatch.StartNew();
            try
            {
                await calculator.DelayAsync(10_000, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Show("DelayAsync(10_000)", $"cancelled after {watch.ElapsedMilliseconds} ms");
            }
        }

        MeasureRoundTrip(calculator);
        return 0;
    }
    finally
    {
        StopServer(server);
    }
}

static void Show(string call, object result) => Console.WriteLine($"{call,-32} => {result}");

static void MeasureRoundTrip(ICalculator calculator)
{
    const int WarmUp = 5_000;
    const int Calls = 20_000;
    for (int i = 0; i < WarmUp; i++)
    {
        calculator.Add(i, 1);
    }
    var microseconds = new double[Calls];
    for (int i = 0; i < Calls; i++)
    {
        long start = Stopwatch.GetTimestamp();
        calculator.Add(i, 1);
        microseconds[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
    Array.Sort(microseconds);
    Console.WriteLine($"Round trip, sync Add, {Calls:N0} calls: p50 {microseconds[Calls / 2]:F1} µs, p99 {microseconds[Calls * 99 / 100]:F1} µs");
}

static async Task<Process> StartServerAsync(string endpoint, IpcTransport transport, IpcWaitStrategy wait)
{
    // Re-launch this program: through its apphost, or through `dotnet Calculator.dll` when started that way.
    string self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable this is.");
    var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
    }
    start.ArgumentList.Add("serve");
    start.ArgumentList.Add(endpoint);
    start.ArgumentList.Add(transport.ToString());
    start.ArgumentList.Add(wait.ToString());

    Process server = Process.Start(start)!;
    try
    {
        string? line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (line != "ready")
        {
            throw new InvalidOperationException($"The server process did not start (it said '{line}').");
        }
        return server;
    }
    catch
    {
        StopServer(server);
        throw;
    }
}

static void StopServer(Process server)
{
    // Closing its stdin asks the server to stop; if it does not, it is killed.
    server.StandardInput.Close();
    if (!server.WaitForExit(TimeSpan.FromSeconds(5)))
    {
        server.Kill(entireProcessTree: true);
        server.WaitForExit();
    }
    server.Dispose();
}
