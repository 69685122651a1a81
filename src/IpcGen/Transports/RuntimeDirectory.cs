using System.Text;
using Mono.Unix.Native;

namespace IpcGen.Transports;

/// <summary>
/// Where endpoints live: <c>$XDG_RUNTIME_DIR/ipcgen</c>, else <c>/tmp/ipcgen-&lt;uid&gt;</c>. Created
/// <c>0700</c>; an existing directory must be ours, a real directory (not a link) and closed to others,
/// or we refuse to put sockets in it.
/// </summary>
internal static class RuntimeDirectory
{
    private static readonly object s_lock = new();
    private static string? s_verified;

    public static uint CurrentUserId { get; } = Interop.Libc.GetUid();

    public static string Path
    {
        get
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return !string.IsNullOrEmpty(xdg) && System.IO.Path.IsPathRooted(xdg)
                ? System.IO.Path.Combine(xdg, "ipcgen")
                : $"/tmp/ipcgen-{CurrentUserId}";
        }
    }

    /// <summary>Creates the directory if needed and checks its owner and mode. Returns its path.</summary>
    public static string Ensure()
    {
        string path = Path;
        lock (s_lock)
        {
            if (s_verified == path && Directory.Exists(path))
            {
                return path;
            }
            if (Syscall.mkdir(path, FilePermissions.S_IRWXU) != 0 && Stdlib.GetLastError() != Errno.EEXIST)
            {
                throw new IpcException($"Cannot create the runtime directory '{path}': {Stdlib.GetLastError()}.");
            }
            if (Syscall.lstat(path, out Stat stat) != 0)
            {
                throw new IpcException($"Cannot stat the runtime directory '{path}': {Stdlib.GetLastError()}.");
            }
            if ((stat.st_mode & FilePermissions.S_IFMT) != FilePermissions.S_IFDIR)
            {
                throw new IpcException($"The runtime directory '{path}' is not a directory (a link or a file stands there). Remove it.");
            }
            if (stat.st_uid != CurrentUserId)
            {
                throw new IpcException($"The runtime directory '{path}' belongs to uid {stat.st_uid}, not to this process's uid {CurrentUserId}. Refusing to use it.");
            }
            if ((stat.st_mode & (FilePermissions.S_IRWXG | FilePermissions.S_IRWXO)) != 0)
            {
                // Ours but open to others (created by hand, say): close it rather than fail.
                if (Syscall.chmod(path, FilePermissions.S_IRWXU) != 0)
                {
                    throw new IpcException($"The runtime directory '{path}' is open to other users and cannot be closed: {Stdlib.GetLastError()}.");
                }
            }
            s_verified = path;
            return path;
        }
    }
}

/// <summary>Turns an endpoint name from the options (or the contract name) into a file path.</summary>
internal static class EndpointPath
{
    // sun_path is 108 bytes including the terminating NUL.
    private const int MaxSocketPathBytes = 107;

    /// <summary>
    /// An absolute path is used as given; a name becomes <c>&lt;runtime dir&gt;/&lt;name&gt;&lt;suffix&gt;</c>,
    /// with characters outside <c>[A-Za-z0-9._-]</c> replaced and an over-long name shortened with a hash.
    /// </summary>
    public static string Resolve(string endpoint, string suffix, bool createDirectory)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            throw new ArgumentException("The endpoint name is empty.", nameof(endpoint));
        }
        string path;
        if (endpoint.StartsWith('/'))
        {
            path = endpoint;
        }
        else
        {
            if (endpoint.Contains('/'))
            {
                throw new ArgumentException($"Endpoint '{endpoint}' must be a plain name or an absolute path.", nameof(endpoint));
            }
            string directory = createDirectory ? RuntimeDirectory.Ensure() : RuntimeDirectory.Path;
            string name = Sanitize(endpoint);
            path = System.IO.Path.Combine(directory, name + suffix);
            int overflow = Encoding.UTF8.GetByteCount(path) - MaxSocketPathBytes;
            if (overflow > 0)
            {
                string hash = Fnv1a64(endpoint).ToString("x16");
                int keep = Math.Max(0, name.Length - overflow - hash.Length - 1);
                path = System.IO.Path.Combine(directory, name.Substring(0, keep) + "-" + hash + suffix);
            }
        }
        if (Encoding.UTF8.GetByteCount(path) > MaxSocketPathBytes)
        {
            throw new ArgumentException($"Endpoint path '{path}' is longer than the {MaxSocketPathBytes} bytes a Unix socket path may have.", nameof(endpoint));
        }
        return path;
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }
        return builder.ToString();
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }
}
