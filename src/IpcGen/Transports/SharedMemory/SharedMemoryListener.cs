using System.Net.Sockets;
using IpcGen.Transports.UnixSocket;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.SharedMemory;

/// <summary>
/// The server side: accepts on the control socket <c>&lt;endpoint&gt;.shm.sock</c>, creates a sealed
/// memfd segment for each client and hands it over with <c>SCM_RIGHTS</c>. The descriptor is closed
/// as soon as both sides have mapped it, so the memory is gone once both mappings are.
/// </summary>
internal sealed unsafe class SharedMemoryListener : ConnectionListener
{
    /// <summary>Sent with the descriptor: "IPGS" and the layout version.</summary>
    internal static ReadOnlySpan<byte> Hello => new byte[] { (byte)'I', (byte)'P', (byte)'G', (byte)'S', (byte)SharedMemoryLayout.Version, 0, 0, 0 };

    private readonly UnixSocketListener _control;
    private readonly int _capacity;
    private readonly IpcWaitStrategy _strategy;

    private SharedMemoryListener(UnixSocketListener control, int capacity, IpcWaitStrategy strategy)
    {
        _control = control;
        _capacity = capacity;
        _strategy = strategy;
    }

    public override string Endpoint => _control.Endpoint;

    public static SharedMemoryListener Bind(string endpoint, IpcServerOptions options)
    {
        SharedMemoryLayout.ValidateCapacity(options.SharedMemoryRingSize);
        return new SharedMemoryListener(UnixSocketListener.Bind(endpoint, ".shm.sock"), options.SharedMemoryRingSize, options.WaitStrategy);
    }

    public override FrameChannel? Accept()
    {
        while (_control.AcceptSocket() is { } socket)
        {
            try
            {
                return Setup(socket);
            }
            catch (Exception ex) when (ex is SocketException or IpcException or IOException)
            {
                // The client vanished during setup; the next one may do better.
                socket.Dispose();
            }
        }
        return null;
    }

    private SharedMemoryChannel Setup(Socket socket)
    {
        long size = SharedMemoryLayout.SegmentSize(_capacity);
        using SafeFileHandle memfd = Interop.Memfd.CreateSized("ipcgen-connection", size);
        byte* segment = Interop.Mman.MapShared(memfd, size, "shared-memory segment");
        try
        {
            long tagKey = SharedMemoryLayout.NewTagKey();
            SharedMemoryLayout.WriteHeader(new Span<byte>(segment, SharedMemoryLayout.HeaderSize), _capacity, tagKey);
            // Sealed so the client can map it without fearing it shrinks under it (SIGBUS) or grows.
            if (Interop.Memfd.Fcntl(memfd, Interop.Memfd.F_ADD_SEALS,
                    Interop.Memfd.F_SEAL_SHRINK | Interop.Memfd.F_SEAL_GROW | Interop.Memfd.F_SEAL_SEAL) != 0)
            {
                throw Interop.LastError("fcntl(F_ADD_SEALS)");
            }
            Interop.Socket.SendWithDescriptor(socket, Hello, memfd);
            return new SharedMemoryChannel(socket, segment, size, _capacity, tagKey, isServer: true, _strategy);
        }
        catch
        {
            Interop.Mman.Unmap((nint)segment, (nuint)size);
            throw;
        }
    }

    public override void Dispose() => _control.Dispose();
}
