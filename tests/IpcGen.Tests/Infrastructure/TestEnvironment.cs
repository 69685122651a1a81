using System.Runtime.CompilerServices;

namespace IpcGen.Tests.Infrastructure;

/// <summary>
/// Points the runtime directory of this test process, and of every process it starts, at a private
/// temporary directory, removed when the tests end: a failed test leaves no socket behind.
/// </summary>
internal static class TestEnvironment
{
    public static string Root { get; private set; } = "";

    [ModuleInitializer]
    internal static void Initialize()
    {
        // Short: a socket path must fit in 107 bytes.
        Root = Path.Combine(Path.GetTempPath(), $"ipcgen-tests-{Environment.ProcessId}-{Guid.NewGuid():N}"[..30]);
        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", Root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            // POSIX queues live outside the runtime directory, in the kernel, until unlinked or reboot; a test
            // that killed a server and never restarted it on that endpoint would leave its request queue to
            // eat this user's RLIMIT_MSGQUEUE budget. Unlink every request queue an endpoint of ours could have.
            foreach (string endpoint in s_endpoints)
            {
                IpcGen.Interop.Mqueue.Unlink(IpcGen.Transports.MessageQueue.MqNames.RequestQueue(endpoint));
            }
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        };
    }

    /// <summary>A fresh endpoint name, unique to this call.</summary>
    public static string NewEndpoint([CallerMemberName] string test = "")
    {
        string endpoint = $"{test[..Math.Min(24, test.Length)]}-{Guid.NewGuid():N}"[..(Math.Min(24, test.Length) + 13)];
        s_endpoints.Add(endpoint);
        return endpoint;
    }

    private static readonly System.Collections.Concurrent.ConcurrentBag<string> s_endpoints = new();

    /// <summary>The files a server on <paramref name="endpoint"/> creates (socket and lock), whether or not they exist.</summary>
    public static string[] EndpointFiles(string endpoint)
    {
        string socket = IpcGen.Transports.EndpointPath.Resolve(endpoint, ".sock", createDirectory: false);
        return new[] { socket, socket[..^".sock".Length] + ".lock" };
    }

    /// <summary>The runtime directory IpcGen uses in these tests.</summary>
    public static string RuntimeDirectory => Path.Combine(Root, "ipcgen");
}
