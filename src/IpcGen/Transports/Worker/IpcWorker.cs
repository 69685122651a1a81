using System.Collections;
using System.ComponentModel;
using System.Globalization;
using IpcGen.Runtime;
using IpcGen.Transports;
using IpcGen.Transports.Pipe;
using IpcGen.Transports.Worker;

namespace IpcGen;

/// <summary>
/// Worker child processes over anonymous pipes, the classic parent↔child pattern. The parent starts the
/// worker with two inherited <c>pipe(2)</c> ends (descriptors 3 and 4, named in
/// <see cref="DescriptorsVariable"/>); the worker serves the contract on them until the parent goes away.
/// The worker dies with its parent (end of file on its pipe, and <c>PR_SET_PDEATHSIG</c>); a worker that
/// dies fails the parent's calls with <see cref="IpcDisconnectedException"/>, and a new one can be spawned.
/// Generated contracts wrap this as <c>IFoo.SpawnWorker(path, args)</c> and <c>IFoo.ServeWorker(service)</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class IpcWorker
{
    /// <summary>The environment variable that tells a worker its pipe descriptors: <c>read,write,parentPid</c>.</summary>
    public const string DescriptorsVariable = "IPCGEN_WORKER_FDS";

    private const int ChildReadFd = 3;
    private const int ChildWriteFd = 4;

    /// <summary>
    /// Starts <paramref name="path"/> (searched in <c>PATH</c>) with <paramref name="arguments"/> as a worker
    /// and completes the handshake with it. Disposing the returned client closes the pipes; the worker then
    /// exits, and is killed if it has not within two seconds.
    /// </summary>
    public static unsafe IpcClient Spawn(string contractName, ulong contractFingerprint, string path, IReadOnlyList<string> arguments, IpcClientOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(arguments);
        IpcPlatform.EnsureSupported();
        options ??= new IpcClientOptions();
        IpcDefaults.Validate(options.MaxMessageSize, nameof(options.MaxMessageSize));
        long start = Environment.TickCount64;

        int* toChild = stackalloc int[2];
        int* fromChild = stackalloc int[2];
        if (Interop.Pipe.Pipe2(toChild, Interop.Pipe.O_CLOEXEC) != 0)
        {
            throw Interop.LastError("pipe2");
        }
        if (Interop.Pipe.Pipe2(fromChild, Interop.Pipe.O_CLOEXEC) != 0)
        {
            IpcException error = Interop.LastError("pipe2");
            Interop.Pipe.Close(toChild[0]);
            Interop.Pipe.Close(toChild[1]);
            throw error;
        }
        // The child's ends are dup2'ed onto 3 and 4 in the child only (no window in which another child
        // started by this process could inherit them). A source already numbered 3 or 4 would be clobbered
        // by the other dup2: move it out of the way first.
        int childRead = AboveChildSlots(toChild[0]);
        int childWrite = AboveChildSlots(fromChild[1]);
        int parentRead = fromChild[0];
        int parentWrite = toChild[1];

        var environment = new List<string>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if ((string)entry.Key != DescriptorsVariable)
            {
                environment.Add($"{entry.Key}={entry.Value}");
            }
        }
        environment.Add(string.Create(CultureInfo.InvariantCulture, $"{DescriptorsVariable}={ChildReadFd},{ChildWriteFd},{Environment.ProcessId}"));

        int pid;
        try
        {
            pid = WorkerSpawner.Spawn(() => Interop.Process.Spawn(path, arguments, environment, new[] { (childRead, ChildReadFd), (childWrite, ChildWriteFd) }));
        }
        catch
        {
            Interop.Pipe.Close(parentRead);
            Interop.Pipe.Close(parentWrite);
            throw;
        }
        finally
        {
            Interop.Pipe.Close(childRead);
            Interop.Pipe.Close(childWrite);
        }

        // The pid comes from fork itself, so it is the kernel's word; the uid/gid are read while it lives.
        PeerCredentials worker = Interop.Process.Identify(pid) is ({ } credentials, { } pidfd)
            ? Dispose(pidfd, credentials)
            : new PeerCredentials(pid, RuntimeDirectory.CurrentUserId, Interop.Libc.GetGid());
        var channel = new PipeChannel(parentRead, parentWrite, worker, onDispose: () => Reap(pid));
        return IpcClient.Open(channel, contractName, contractFingerprint, $"worker:{pid}", options, start);
    }

    /// <summary>
    /// Serves the contract to the parent that spawned this process, blocking until the parent disconnects or
    /// exits. Throws <see cref="InvalidOperationException"/> if this process was not started as a worker.
    /// </summary>
    public static void Serve(IIpcDispatcher dispatcher, IpcServerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        IpcPlatform.EnsureSupported();
        options ??= new IpcServerOptions();
        IpcDefaults.Validate(options.MaxMessageSize, nameof(options.MaxMessageSize));
        (int readFd, int writeFd, int parentPid) = ReadDescriptors();
        // Not for our own children: they must not mistake themselves for workers of our parent.
        Environment.SetEnvironmentVariable(DescriptorsVariable, null);
        Interop.Process.Fcntl(readFd, Interop.Process.F_SETFD, Interop.Process.FD_CLOEXEC);
        Interop.Process.Fcntl(writeFd, Interop.Process.F_SETFD, Interop.Process.FD_CLOEXEC);

        Interop.Process.KillMeWithParent();
        if (Interop.Process.GetParentProcessId() != parentPid)
        {
            return; // the parent died before we could ask to die with it
        }
        PeerCredentials parent = Interop.Process.Identify(parentPid) is ({ } credentials, { } pidfd)
            ? Dispose(pidfd, credentials)
            : throw new IpcDisconnectedException("The parent process exited before the worker started serving.");

        using var closed = new ManualResetEventSlim();
        var channel = new PipeChannel(readFd, writeFd, parent, onDispose: closed.Set);
        using var listener = new WorkerListener(channel, $"worker-parent:{parentPid}");
        using IpcServer server = IpcServer.Start(dispatcher, listener, options);
        closed.Wait();
    }

    /// <summary>Whether this process was started by <see cref="Spawn"/> and has not begun serving yet.</summary>
    public static bool IsWorkerProcess => Environment.GetEnvironmentVariable(DescriptorsVariable) is not null;

    private static (int Read, int Write, int ParentPid) ReadDescriptors()
    {
        string? value = Environment.GetEnvironmentVariable(DescriptorsVariable);
        string[] parts = value?.Split(',') ?? Array.Empty<string>();
        if (parts.Length != 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int read)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int write)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int parent)
            || read < 3 || write < 3 || read == write || parent <= 1)
        {
            throw new InvalidOperationException($"This process was not started as an IpcGen worker ({DescriptorsVariable} is '{value}'). Start it with SpawnWorker.");
        }
        return (read, write, parent);
    }

    private static int AboveChildSlots(int fd)
    {
        if (fd > ChildWriteFd)
        {
            return fd;
        }
        int moved = Interop.Process.Fcntl(fd, Interop.Process.F_DUPFD_CLOEXEC, ChildWriteFd + 1);
        if (moved < 0)
        {
            throw Interop.LastError("fcntl(F_DUPFD_CLOEXEC)");
        }
        Interop.Pipe.Close(fd);
        return moved;
    }

    private static PeerCredentials Dispose(Microsoft.Win32.SafeHandles.SafeFileHandle pidfd, PeerCredentials credentials)
    {
        pidfd.Dispose();
        return credentials;
    }

    /// <summary>The pipes are closed: the worker exits on end of file. Reap it, or kill it if it lingers.</summary>
    private static void Reap(int pid)
    {
        long deadline = Environment.TickCount64 + 2000;
        while (!Interop.Process.TryReap(pid))
        {
            if (Environment.TickCount64 > deadline)
            {
                Interop.Process.Kill(pid, Interop.Process.SIGKILL);
                deadline = long.MaxValue;
            }
            Thread.Sleep(2);
        }
    }
}
