using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// Process handles (pidfd_open, Linux 5.3+): a descriptor that names one process for as long as it is
    /// held, immune to pid reuse, and that polls readable when the process exits.
    /// </summary>
    internal static unsafe partial class Pidfd
    {
        private const long SYS_pidfd_open = 434; // the same number on every architecture
        internal const int ESRCH = 3;

        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        private static partial long Syscall(long number, int pid, uint flags);

        /// <summary>Opens a pidfd for <paramref name="pid"/>; null if no such process exists.</summary>
        public static SafeFileHandle? Open(int pid)
        {
            if (pid <= 0)
            {
                return null;
            }
            long fd = Syscall(SYS_pidfd_open, pid, 0);
            if (fd < 0)
            {
                if (Marshal.GetLastPInvokeError() == ESRCH)
                {
                    return null;
                }
                throw LastError("pidfd_open", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            return new SafeFileHandle((nint)fd, ownsHandle: true);
        }

        /// <summary>Whether the process behind <paramref name="pidfd"/> has exited (a zero-timeout poll).</summary>
        public static bool HasExited(SafeFileHandle pidfd)
        {
            bool added = false;
            try
            {
                pidfd.DangerousAddRef(ref added);
                return Pipe.PollOne((int)pidfd.DangerousGetHandle(), Pipe.POLLIN, 0) != 0;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
            finally
            {
                if (added)
                {
                    pidfd.DangerousRelease();
                }
            }
        }
    }
}
