using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.UnixSocket;

/// <summary>
/// Listens on <c>&lt;endpoint&gt;.sock</c>. Ownership of the endpoint is an exclusive <c>flock</c> on
/// <c>&lt;endpoint&gt;.lock</c>, which the kernel drops when the owner dies: holding it proves any socket
/// file there is stale, so a restarted server reclaims it, and a second live server is refused.
/// </summary>
internal sealed class UnixSocketListener : ConnectionListener
{
    private readonly Socket _socket;
    private readonly SafeFileHandle _lock;
    private readonly string _socketPath;
    private readonly string _lockPath;
    private int _disposed;

    private UnixSocketListener(Socket socket, SafeFileHandle lockHandle, string socketPath, string lockPath)
    {
        _socket = socket;
        _lock = lockHandle;
        _socketPath = socketPath;
        _lockPath = lockPath;
    }

    public override string Endpoint => _socketPath;

    /// <param name="endpoint">A name in the runtime directory or an absolute path.</param>
    /// <param name="suffix">Appended to a name: <c>.sock</c>, or <c>.shm.sock</c> for the shared-memory control socket.</param>
    public static UnixSocketListener Bind(string endpoint, string suffix = ".sock")
    {
        string socketPath = EndpointPath.Resolve(endpoint, suffix, createDirectory: true);
        string lockPath = socketPath.EndsWith(".sock", StringComparison.Ordinal)
            ? socketPath.Substring(0, socketPath.Length - 5) + ".lock"
            : socketPath + ".lock";

        SafeFileHandle lockHandle = Interop.Libc.Open(lockPath, Interop.Libc.O_RDWR | Interop.Libc.O_CREAT | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC, 0b110_000_000);
        if (lockHandle.IsInvalid)
        {
            Exception error = Interop.LastError("open", lockPath);
            lockHandle.Dispose();
            throw error;
        }
        try
        {
            while (Interop.Libc.Flock(lockHandle, Interop.Libc.LOCK_EX | Interop.Libc.LOCK_NB) != 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Interop.Libc.EINTR)
                {
                    continue;
                }
                if (errno == Interop.Libc.EWOULDBLOCK)
                {
                    throw new IpcEndpointInUseException(socketPath);
                }
                throw Interop.LastError("flock", lockPath);
            }

            // We own the endpoint: whatever socket file is there was left by a server that died.
            File.Delete(socketPath);

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(socketPath));
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                socket.Listen(128);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            return new UnixSocketListener(socket, lockHandle, socketPath, lockPath);
        }
        catch
        {
            lockHandle.Dispose();
            throw;
        }
    }

    public override FrameChannel? Accept()
    {
        while (AcceptSocket() is { } client)
        {
            try
            {
                return new UnixSocketChannel(client);
            }
            catch (Exception ex) when (ex is SocketException or IpcException)
            {
                // The client vanished between connect and accept; wait for the next one.
                client.Dispose();
            }
        }
        return null;
    }

    /// <summary>Blocks until a client connects; null once the listener is disposed.</summary>
    public Socket? AcceptSocket()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = _socket.Accept();
            }
            catch (SocketException) when (Volatile.Read(ref _disposed) != 0)
            {
                return null;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.Interrupted)
            {
                continue;
            }
            return client;
        }
    }

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // shutdown(2) on a listening socket wakes a thread blocked in accept(2); close alone does not.
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
        // Delete while still holding the lock, so a server starting now cannot lose its fresh socket.
        File.Delete(_socketPath);
        File.Delete(_lockPath);
        _lock.Dispose();
    }
}
