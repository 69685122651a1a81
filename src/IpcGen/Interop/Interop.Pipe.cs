using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>Pipes and FIFOs: pipe2, mkfifo, raw read/write, fcntl flags, poll and eventfd.</summary>
    internal static unsafe partial class Pipe
    {
        internal const int O_RDONLY = 0x0;
        internal const int O_WRONLY = 0x1;
        internal const int O_RDWR = 0x2;
        internal const int O_NONBLOCK = 0x800;
        internal const int O_NOFOLLOW = 0x20000;
        internal const int O_CLOEXEC = 0x80000;

        internal const int F_GETFL = 3;
        internal const int F_SETFL = 4;

        internal const short POLLIN = 0x1;
        internal const short POLLOUT = 0x4;
        internal const short POLLERR = 0x8;
        internal const short POLLHUP = 0x10;

        internal const int EINTR = 4;
        internal const int EAGAIN = 11;
        internal const int EPIPE = 32;
        internal const int ENXIO = 6;
        internal const int EEXIST = 17;
        internal const int ENOENT = 2;

        /// <summary>The atomic write size of a pipe (POSIX PIPE_BUF on Linux).</summary>
        internal const int PIPE_BUF = 4096;

        internal const int EFD_CLOEXEC = 0x80000;
        internal const int EFD_NONBLOCK = 0x800;

        [StructLayout(LayoutKind.Sequential)]
        internal struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
        internal static partial int Pipe2(int* fds, int flags);

        [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int MkFifo(string path, uint mode);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags, int mode);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);

        [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
        internal static partial nint Read(int fd, byte* buffer, nuint count);

        [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
        internal static partial nint Write(int fd, byte* buffer, nuint count);

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int Fcntl(int fd, int command, int argument);

        [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
        internal static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

        [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
        internal static partial int EventFd(uint initial, int flags);

        /// <summary>Polls one descriptor; returns its revents (0 on timeout).</summary>
        public static short PollOne(int fd, short events, int timeoutMs)
        {
            PollFd entry = new() { Fd = fd, Events = events };
            while (true)
            {
                int result = Poll(&entry, 1, timeoutMs);
                if (result >= 0)
                {
                    return result == 0 ? (short)0 : entry.Revents;
                }
                if (Marshal.GetLastPInvokeError() != EINTR)
                {
                    throw LastError("poll");
                }
            }
        }

        /// <summary>Sets or clears O_NONBLOCK.</summary>
        public static void SetNonBlocking(int fd, bool nonBlocking)
        {
            int flags = Fcntl(fd, F_GETFL, 0);
            if (flags < 0 || Fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0)
            {
                throw LastError("fcntl");
            }
        }
    }
}
