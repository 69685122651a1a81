namespace IpcGen.Tests.Infrastructure;

/// <summary>
/// The operating-system objects a server on an endpoint creates, per transport, and whether each exists
/// now: files in the runtime directory, POSIX queues, System V queues.
/// </summary>
public static class EndpointLeftovers
{
    public static IReadOnlyList<(string What, bool Exists)> Of(string endpoint, IpcTransport transport)
    {
        var objects = new List<(string, bool)>();
        switch (transport)
        {
            case IpcTransport.Pipe:
                string fifo = IpcGen.Transports.Pipe.FifoNames.ConnectFifo(endpoint, createDirectory: false);
                objects.Add((fifo, File.Exists(fifo)));
                objects.Add((IpcGen.Transports.Pipe.FifoNames.Lock(fifo), File.Exists(IpcGen.Transports.Pipe.FifoNames.Lock(fifo))));
                break;
            case IpcTransport.SharedMemory:
                string control = IpcGen.Transports.EndpointPath.Resolve(endpoint, ".shm.sock", createDirectory: false);
                objects.Add((control, File.Exists(control)));
                objects.Add((control[..^".sock".Length] + ".lock", File.Exists(control[..^".sock".Length] + ".lock")));
                break;
            default:
                objects.AddRange(TestEnvironment.EndpointFiles(endpoint).Select(path => (path, File.Exists(path))));
                break;
        }
        return objects;
    }

    /// <summary>Client-side leftovers of an endpoint: FIFO pairs, reply queues.</summary>
    public static IReadOnlyList<string> ClientObjects(string endpoint, IpcTransport transport)
    {
        switch (transport)
        {
            case IpcTransport.Pipe:
                string fifo = IpcGen.Transports.Pipe.FifoNames.ConnectFifo(endpoint, createDirectory: false);
                return IpcGen.Transports.Pipe.FifoListener.StaleCandidates(Path.GetDirectoryName(fifo)!, Path.GetFileName(fifo) + ".").ToList();
            default:
                return Array.Empty<string>();
        }
    }
}
