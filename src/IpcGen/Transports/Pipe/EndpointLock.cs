using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.Pipe;

/// <summary>
/// Endpoint ownership for the transports whose objects outlive a crashed owner (FIFOs, message queues):
/// an exclusive <c>flock</c> on a lock file in the runtime directory. The kernel drops it when the owner
/// dies, so whoever holds it knows every object of that endpoint is stale and may reclaim it.
/// </summary>
internal static class EndpointLock
{
    /// <summary>Takes the lock or throws <see cref="IpcEndpointInUseException"/> naming <paramref name="endpoint"/>.</summary>
    public static SafeFileHandle Acquire(string lockPath, string endpoint)
    {
        SafeFileHandle handle = Interop.Libc.Open(lockPath, Interop.Libc.O_RDWR | Interop.Libc.O_CREAT | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC, 0b110_000_000);
        if (handle.IsInvalid)
        {
            Exception error = Interop.LastError("open", lockPath);
            handle.Dispose();
            throw error;
        }
        while (Interop.Libc.Flock(handle, Interop.Libc.LOCK_EX | Interop.Libc.LOCK_NB) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.Libc.EINTR)
            {
                continue;
            }
            handle.Dispose();
            if (errno == Interop.Libc.EWOULDBLOCK)
            {
                throw new IpcEndpointInUseException(endpoint);
            }
            throw new IpcException($"flock '{lockPath}' failed: errno {errno}");
        }
        return handle;
    }
}
