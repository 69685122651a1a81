using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// The POSIX queue transport's names and geometry. For endpoint <c>name</c>: the server's request queue
/// <c>/ipcgen.&lt;uid&gt;.&lt;tag&gt;</c>, each client's reply queue <c>/ipcgen.&lt;uid&gt;.&lt;tag&gt;.&lt;pid&gt;.&lt;seq&gt;</c>,
/// and the ownership lock <c>&lt;runtime dir&gt;/name.mq.lock</c>. The tag is the endpoint made safe for a
/// queue name plus a hash of the lock file's path: two servers whose runtime directories differ (one
/// started without <c>XDG_RUNTIME_DIR</c>) hold different locks, so they must not share a queue either.
/// </summary>
internal static class MqNames
{
    // NAME_MAX is 255 for the name after its '/'; "ipcgen.<uid>." is at most 18, ".<pid>.<seq>" at most 22.
    private const int MaxTagLength = 200;

    /// <summary>The lock file whose flock marks the live server.</summary>
    public static string Lock(string endpoint, bool createDirectory) => EndpointPath.Resolve(endpoint, ".mq.lock", createDirectory);

    public static string RequestQueue(string endpoint)
        => string.Create(CultureInfo.InvariantCulture, $"/ipcgen.{RuntimeDirectory.CurrentUserId}.{Tag(endpoint)}");

    public static string ReplyQueue(string requestQueue, int pid, uint sequence)
        => string.Create(CultureInfo.InvariantCulture, $"{requestQueue}.{pid}.{sequence}");

    private static string Tag(string endpoint)
    {
        string lockPath = Lock(endpoint, createDirectory: false);
        var builder = new StringBuilder(endpoint.Length + 9);
        foreach (char c in endpoint.TrimStart('/'))
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }
        string hash = Fnv1a32(lockPath).ToString("x8", CultureInfo.InvariantCulture);
        if (builder.Length > MaxTagLength - hash.Length - 1)
        {
            builder.Length = MaxTagLength - hash.Length - 1;
        }
        return builder.Append('-').Append(hash).ToString();
    }

    private static uint Fnv1a32(string text)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619;
        }
        return hash;
    }
}

/// <summary>
/// Queue sizes within the limits an unprivileged process gets (<c>/proc/sys/fs/mqueue/msg_max</c> and
/// <c>msgsize_max</c>; never raised). Every queue a user holds counts against one RLIMIT_MSGQUEUE budget
/// (819,200 bytes by default: ten queues of 10 × 8 KiB), so the server's one request queue is as large as
/// the limits allow up to 10 × 8 KiB and each client's reply queue is a quarter of that: a server with eight
/// clients fits in a third of the budget.
/// </summary>
internal static class MqGeometry
{
    private const int PreferredMessages = 10;
    private const int RequestMessageSize = 8192;
    private const int ReplyMessageSize = 2048;

    /// <summary>The smallest message that still carries an envelope and a frame header.</summary>
    private const int MinimumMessageSize = Queues.QueueMessage.HeaderSize + Protocol.FrameHeader.Size;

    private static readonly Lazy<(long Messages, long Size)> s_limits = new(ReadLimits);

    public static (long Messages, long Size) Request => Clamp(RequestMessageSize);

    public static (long Messages, long Size) Reply => Clamp(ReplyMessageSize);

    private static (long Messages, long Size) Clamp(int preferredSize)
    {
        (long messages, long size) = s_limits.Value;
        return (Math.Min(messages, PreferredMessages), Math.Max(MinimumMessageSize, Math.Min(size, preferredSize)));
    }

    private static (long, long) ReadLimits()
        => (ReadLimit("/proc/sys/fs/mqueue/msg_max", PreferredMessages), ReadLimit("/proc/sys/fs/mqueue/msgsize_max", RequestMessageSize));

    private static long ReadLimit(string path, long fallback)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 ? value : fallback;
        }
        catch (IOException)
        {
            return fallback;
        }
        catch (UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    /// <summary>The error for a queue mq_open could not create, naming the per-user budget when that is the cause.</summary>
    public static IpcException CreateFailed(string name, long messages, long size)
    {
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Interop.Mqueue.EMFILE or Interop.Mqueue.ENOMEM)
        {
            string budget = Interop.Mqueue.ByteBudget() is { } bytes && bytes != ulong.MaxValue ? $"{bytes:N0} bytes" : "unlimited";
            return new IpcException(
                $"Cannot create the message queue '{name}' ({messages} × {size} bytes): this user's POSIX message queues " +
                $"have used up their per-user budget (RLIMIT_MSGQUEUE = {budget}, shared by every queue of every process of the user; errno {errno}). " +
                "Close other servers or clients of the MessageQueue transport, or raise the limit (ulimit -q)" +
                (errno == Interop.Mqueue.EMFILE ? "; if the budget is not used up, this process has run out of file descriptors." : "."));
        }
        return Interop.LastError("mq_open", name);
    }
}
