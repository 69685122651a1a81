using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// futex(2) on a 32-bit word in memory shared between processes. Shared (not FUTEX_PRIVATE_FLAG)
    /// operations, so a waker in one process wakes a waiter in another that maps the same page.
    /// </summary>
    internal static unsafe partial class Futex
    {
        private const long SYS_futex = 202; // x86_64
        private const int FUTEX_WAIT = 0;
        private const int FUTEX_WAKE = 1;

        internal const int ETIMEDOUT = 110;
        internal const int EAGAIN = 11;
        internal const int EINTR = 4;

        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        private static partial long Syscall(long number, int* address, int operation, int value, Timespec* timeout, int* address2, int value3);

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        /// <summary>
        /// Sleeps while <c>*address == expected</c>, at most <paramref name="timeoutMs"/> (-1: no limit).
        /// Returns false on timeout; true when woken, when the value differed, or on a signal (callers re-check).
        /// </summary>
        public static bool Wait(int* address, int expected, int timeoutMs)
        {
            Timespec timeout = default;
            Timespec* timeoutPointer = null;
            if (timeoutMs >= 0)
            {
                timeout.Seconds = timeoutMs / 1000;
                timeout.Nanoseconds = (timeoutMs % 1000) * 1_000_000L;
                timeoutPointer = &timeout;
            }
            long result = Syscall(SYS_futex, address, FUTEX_WAIT, expected, timeoutPointer, null, 0);
            return result == 0 || Marshal.GetLastPInvokeError() != ETIMEDOUT;
        }

        /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="address"/>.</summary>
        public static void Wake(int* address, int count = int.MaxValue)
            => Syscall(SYS_futex, address, FUTEX_WAKE, count, null, null, 0);
    }
}
