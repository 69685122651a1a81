using IpcGen;
using IpcGen.Tests.Contracts;

// The second process of the cross-process tests. Modes:
//   serve <endpoint> <transport>        serve ITestService until stdin closes (the test ended or died)
//   block-call <endpoint> <transport>   connect, start a call that blocks for a minute, wait to be killed
//   allocations <endpoint> <transport> <calls>  serve and call in this quiet process, print allocation counts
//   worker - -                          serve ITestService to the parent that spawned us (SpawnWorker)
//   spawn-worker - -                    spawn ourselves as a worker, print "WORKER <pid>", wait to be killed
// Prints "READY <pid>" once it is serving or its call is in flight.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: IpcGen.Tests.RemoteHost serve|block-call <endpoint> <transport>");
    return 2;
}

string mode = args[0];
string endpoint = args[1];
var transport = args[2] == "-" ? IpcTransport.UnixSocket : Enum.Parse<IpcTransport>(args[2]);

switch (mode)
{
    case "serve":
    {
        var service = new TestService();
        using IpcServer server = ITestService.Serve(service, new IpcServerOptions { Endpoint = endpoint, Transport = transport });
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.Out.Flush();
        // Serve until the parent closes our stdin: when a test ends, or when the test process dies.
        while (Console.In.ReadLine() is not null)
        {
        }
        return 0;
    }
    case "block-call":
    {
        using ITestService.IpcProxy client = ITestService.Connect(new IpcClientOptions { Endpoint = endpoint, Transport = transport });
        Task pending = client.DelayAsync(60_000, "remote-client", CancellationToken.None);
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.Out.Flush();
        try
        {
            pending.Wait(TimeSpan.FromSeconds(60));
        }
        catch (AggregateException)
        {
        }
        return 0;
    }
    case "allocations":
    {
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.Out.Flush();
        Console.WriteLine(IpcGen.Tests.Contracts.AllocationProbe.Run(endpoint, transport, int.Parse(args[3])));
        return 0;
    }
    case "shared-memory":
        return IpcGen.Tests.RemoteHost.SharedMemoryModes.Run(endpoint, args[3..]);
    case "worker":
    {
        ITestService.ServeWorker(new TestService());
        return 0;
    }
    case "spawn-worker":
    {
        string self = typeof(TestService).Assembly.Location;
        using ITestService.IpcProxy worker = ITestService.SpawnWorker("dotnet", self, "worker", "-", "-");
        Console.WriteLine($"READY {Environment.ProcessId}");
        Console.WriteLine($"WORKER {worker.ServerProcessId()}");
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
        }
        return 0;
    }
    default:
        Console.Error.WriteLine($"unknown mode '{mode}'");
        return 2;
}
