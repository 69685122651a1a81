using System.Diagnostics;
using System.Net.Sockets;

namespace IpcGen.Transports.UnixSocket;

/// <summary>Connects to a server's socket, waiting for it to appear until the connect timeout.</summary>
internal static class UnixSocketConnector
{
    public static async ValueTask<FrameChannel> ConnectAsync(string endpoint, TimeSpan timeout, CancellationToken cancellationToken)
        => new UnixSocketChannel(await ConnectSocketAsync(endpoint, ".sock", timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Connects a blocking <c>AF_UNIX</c> stream socket to <c>&lt;endpoint&gt;&lt;suffix&gt;</c>.</summary>
    public static async ValueTask<Socket> ConnectSocketAsync(string endpoint, string suffix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string path = EndpointPath.Resolve(endpoint, suffix, createDirectory: false);
        var stopwatch = Stopwatch.StartNew();
        int delayMs = 5;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                // A blocking connect: a Unix socket connects at once or fails at once. (An async connect
                // would switch the socket to non-blocking mode, and the runtime then emulates every
                // blocking receive with a heap-allocated operation: ~180 bytes a call.)
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return socket;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused
                                                 or SocketError.TryAgain or SocketError.WouldBlock
                                             && (timeout == Timeout.InfiniteTimeSpan || stopwatch.Elapsed < timeout))
            {
                // No server yet (no socket file, or a stale one): it may be starting.
                socket.Dispose();
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new IpcTimeoutException($"Could not connect to '{path}' within {timeout.TotalSeconds:0.###} s: {ex.Message}. Is the server running?", ex);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            await Task.Delay(delayMs, cancellationToken).ConfigureAwait(false);
            delayMs = Math.Min(delayMs * 2, 100);
        }
    }
}
