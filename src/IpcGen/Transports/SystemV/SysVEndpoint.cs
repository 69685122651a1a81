using System.Text;

namespace IpcGen.Transports.SystemV;

/// <summary>
/// Where a System V endpoint lives. System V queues have no names, only 32-bit keys: the key is derived
/// from the endpoint's path in the runtime directory (FNV-1a over <c>ipcgen/&lt;uid&gt;/&lt;path&gt;</c>), so
/// server and clients agree on it without a file, and it is never <c>IPC_PRIVATE</c>. Ownership is an
/// exclusive <c>flock</c> on <c>name.sysv.lock</c>. Message types (<c>mtype</c>) multiplex the server's one
/// queue: 1 carries connect requests; connection <c>k</c> sends its requests as <c>2k</c> and its replies as
/// <c>2k + 1</c>.
/// </summary>
internal static class SysVEndpoint
{
    public const long ConnectType = 1;

    /// <summary>The path the key is derived from (no file is created there; the lock file sits next to it).</summary>
    public static string Path(string endpoint, bool createDirectory) => EndpointPath.Resolve(endpoint, ".sysv", createDirectory);

    public static string Lock(string path) => path + ".lock";

    public static int Key(string path)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes($"ipcgen/{RuntimeDirectory.CurrentUserId}/{path}"))
        {
            hash = (hash ^ b) * 16777619;
        }
        // 0 is IPC_PRIVATE (a queue nobody else can find); never hand it out.
        return hash == 0 ? 1 : (int)hash;
    }

    /// <summary>
    /// The connection number of a client's (pid, sequence): unique among live clients (pids are unique
    /// among live processes; a process numbers its connections), at least 1, and small enough that
    /// <c>2k + 1</c> fits a positive <c>long</c> with room to spare (pids are below 2^22).
    /// </summary>
    public static long Connection(int pid, uint sequence) => ((long)pid << 20 | (sequence & 0xFFFFF)) + 1;

    public static long RequestType(long connection) => 2 * connection;

    public static long ReplyType(long connection) => (2 * connection) + 1;

    public static string KeyText(int key) => $"0x{key:x8}";
}
