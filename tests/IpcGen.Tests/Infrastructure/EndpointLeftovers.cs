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
            case IpcTransport.MessageQueue:
                string queue = IpcGen.Transports.MessageQueue.MqNames.RequestQueue(endpoint);
                objects.Add((queue, PosixQueueExists(queue)));
                string mqLock = IpcGen.Transports.MessageQueue.MqNames.Lock(endpoint, createDirectory: false);
                objects.Add((mqLock, File.Exists(mqLock)));
                break;
            case IpcTransport.SystemVMessageQueue:
                string sysv = IpcGen.Transports.SystemV.SysVEndpoint.Path(endpoint, createDirectory: false);
                int key = IpcGen.Transports.SystemV.SysVEndpoint.Key(sysv);
                objects.Add(($"System V queue {IpcGen.Transports.SystemV.SysVEndpoint.KeyText(key)}", SystemVQueueExists(key)));
                objects.Add((IpcGen.Transports.SystemV.SysVEndpoint.Lock(sysv), File.Exists(IpcGen.Transports.SystemV.SysVEndpoint.Lock(sysv))));
                break;
            default:
                objects.AddRange(TestEnvironment.EndpointFiles(endpoint).Select(path => (path, File.Exists(path))));
                break;
        }
        return objects;
    }

    /// <summary>Whether a System V queue exists at <paramref name="key"/> (msgget without IPC_CREAT: ENOENT when none).</summary>
    public static bool SystemVQueueExists(int key) => IpcGen.Interop.SysVMsg.MsgGet(key, 0) >= 0;

    /// <summary>Client-side leftovers of an endpoint: FIFO pairs, reply queues.</summary>
    public static IReadOnlyList<string> ClientObjects(string endpoint, IpcTransport transport)
    {
        switch (transport)
        {
            case IpcTransport.Pipe:
                string fifo = IpcGen.Transports.Pipe.FifoNames.ConnectFifo(endpoint, createDirectory: false);
                return IpcGen.Transports.Pipe.FifoListener.StaleCandidates(Path.GetDirectoryName(fifo)!, Path.GetFileName(fifo) + ".").ToList();
            case IpcTransport.MessageQueue:
                // /dev/mqueue is not always mounted, so reply queues cannot be listed: probe the names this
                // process's clients used (pid, sequences 1..n of the connector).
                string queue = IpcGen.Transports.MessageQueue.MqNames.RequestQueue(endpoint);
                return Enumerable.Range(1, IpcGen.Transports.MessageQueue.MqConnector.SequencesUsed)
                    .Select(sequence => IpcGen.Transports.MessageQueue.MqNames.ReplyQueue(queue, Environment.ProcessId, (uint)sequence))
                    .Where(PosixQueueExists)
                    .ToList();
            default:
                return Array.Empty<string>();
        }
    }

    /// <summary>Whether a POSIX queue of that name exists: mq_open without O_CREAT fails with ENOENT if not.</summary>
    public static bool PosixQueueExists(string name)
    {
        int mqd = IpcGen.Interop.Mqueue.Open(name, IpcGen.Interop.Mqueue.O_RDONLY | IpcGen.Interop.Mqueue.O_NONBLOCK);
        if (mqd >= 0)
        {
            IpcGen.Interop.Mqueue.Close(mqd);
            return true;
        }
        int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return errno == IpcGen.Interop.Mqueue.ENOENT ? false : throw new InvalidOperationException($"mq_open '{name}' failed: errno {errno}");
    }
}
