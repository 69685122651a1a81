using System.Net.Sockets;
using IpcGen.Transports.UnixSocket;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// The client side: connects to the control socket, receives the segment's descriptor, checks its
/// seals, size and header before trusting any of it, and maps it.
/// </summary>
internal static class SharedMemoryConnector
{
    public static async ValueTask<FrameChannel> ConnectAsync(string endpoint, IpcClientOptions options, CancellationToken cancellationToken)
    {
        Socket socket = await UnixSocketConnector.ConnectSocketAsync(endpoint, ".shm.sock", options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        return Setup(socket, endpoint, options);
    }

    private static unsafe FrameChannel Setup(Socket socket, string endpoint, IpcClientOptions options)
    {
        try
        {
            socket.ReceiveTimeout = options.ConnectTimeout == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Max(1, options.ConnectTimeout.TotalMilliseconds);
            Span<byte> hello = stackalloc byte[8];
            using SafeFileHandle memfd = Interop.Socket.ReceiveWithDescriptor(socket, hello);
            socket.ReceiveTimeout = 0;
            if (!hello.SequenceEqual(SharedMemoryListener.Hello))
            {
                throw new IpcProtocolException($"the server's shared-memory greeting is not 'IPGS' version {SharedMemoryLayout.Version}");
            }
            int seals = Interop.Memfd.Fcntl(memfd, Interop.Memfd.F_GET_SEALS, 0);
            const int required = Interop.Memfd.F_SEAL_SHRINK | Interop.Memfd.F_SEAL_GROW | Interop.Memfd.F_SEAL_SEAL;
            if (seals < 0 || (seals & required) != required)
            {
                throw new IpcProtocolException("the shared-memory segment is not sealed against shrinking and growing");
            }
            long size = RandomAccess.GetLength(memfd);
            if (size < SharedMemoryLayout.HeaderSize || size > SharedMemoryLayout.SegmentSize(SharedMemoryLayout.MaxRingCapacity))
            {
                throw new IpcProtocolException($"the shared-memory segment's size {size} is out of range");
            }
            byte* segment = Interop.Mman.MapShared(memfd, size, "shared-memory segment");
            try
            {
                // A private copy of the header, read once: the server could change the shared one later.
                Span<byte> header = stackalloc byte[64];
                new ReadOnlySpan<byte>(segment, header.Length).CopyTo(header);
                (int capacity, long tagKey) = SharedMemoryLayout.ReadHeader(header, size);
                return new SharedMemoryChannel(socket, segment, size, capacity, tagKey, isServer: false, options.WaitStrategy);
            }
            catch
            {
                Interop.Mman.Unmap((nint)segment, (nuint)size);
                throw;
            }
        }
        catch (TimeoutException ex)
        {
            socket.Dispose();
            throw new IpcTimeoutException($"The server at '{endpoint}' did not hand over its shared memory in time.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
