using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// POSIX message queues (in libc since glibc 2.34, in librt before; the libc name resolves both ways on
    /// a current system). On Linux an <c>mqd_t</c> is a file descriptor: it polls readable when a message
    /// is queued and writable when there is room, so it waits together with a pidfd and an eventfd.
    /// </summary>
    internal static unsafe partial class Mqueue
    {
        internal const int O_RDONLY = 0x0;
        internal const int O_WRONLY = 0x1;
        internal const int O_RDWR = 0x2;
        internal const int O_CREAT = 0x40;
        internal const int O_EXCL = 0x80;
        internal const int O_NONBLOCK = 0x800;
        internal const int O_CLOEXEC = 0x80000;

        internal const int ENOENT = 2;
        internal const int EINTR = 4;
        internal const int EAGAIN = 11;
        internal const int ENOMEM = 12;
        internal const int EEXIST = 17;
        internal const int EMFILE = 24;
        internal const int ENOSPC = 28;
        internal const int EMSGSIZE = 90;
        internal const int ETIMEDOUT = 110;

        /// <summary>The highest message priority Linux accepts (MQ_PRIO_MAX - 1): for wake-ups that must overtake everything.</summary>
        internal const uint WakePriority = 32767;

        private const int CLOCK_REALTIME = 0;

        [StructLayout(LayoutKind.Sequential)]
        internal struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        private const int RLIMIT_MSGQUEUE = 12;

        /// <summary><c>struct mq_attr</c>: four longs and four reserved ones.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct MqAttr
        {
            public long Flags;
            public long MaxMessages;
            public long MessageSize;
            public long CurrentMessages;
            private long _reserved0;
            private long _reserved1;
            private long _reserved2;
            private long _reserved3;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct RLimit
        {
            public ulong Current;
            public ulong Max;
        }

        // mq_open is variadic; on the supported ABIs (x86-64, arm64 Linux) integer and pointer varargs
        // travel exactly like fixed arguments, so a fixed four-argument signature is a correct call.
        [LibraryImport("libc", EntryPoint = "mq_open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        private static partial int MqOpen(string name, int flags, uint mode, MqAttr* attributes);

        [LibraryImport("libc", EntryPoint = "mq_send", SetLastError = true)]
        internal static partial int Send(int mqd, byte* message, nuint length, uint priority);

        [LibraryImport("libc", EntryPoint = "mq_receive", SetLastError = true)]
        internal static partial nint Receive(int mqd, byte* buffer, nuint length, uint* priority);

        [LibraryImport("libc", EntryPoint = "mq_timedreceive", SetLastError = true)]
        internal static partial nint TimedReceive(int mqd, byte* buffer, nuint length, uint* priority, Timespec* absoluteTimeout);

        // Served by the vDSO in a few nanoseconds, never blocks: no GC transition needed around it.
        [LibraryImport("libc", EntryPoint = "clock_gettime")]
        [SuppressGCTransition]
        private static partial int ClockGetTime(int clock, Timespec* time);

        [LibraryImport("libc", EntryPoint = "mq_getattr", SetLastError = true)]
        internal static partial int GetAttr(int mqd, MqAttr* attributes);

        [LibraryImport("libc", EntryPoint = "mq_unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Unlink(string name);

        [LibraryImport("libc", EntryPoint = "mq_close", SetLastError = true)]
        internal static partial int Close(int mqd);

        [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
        internal static partial int FChmod(int fd, uint mode);

        [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
        private static partial int GetRLimit(int resource, RLimit* limit);

        /// <summary>
        /// The CLOCK_REALTIME instant <paramref name="milliseconds"/> from now, as mq_timedreceive wants it
        /// (clock_gettime is served by the vDSO: no system call).
        /// </summary>
        public static Timespec Deadline(int milliseconds)
        {
            Timespec now;
            ClockGetTime(CLOCK_REALTIME, &now);
            long nanoseconds = now.Nanoseconds + (milliseconds % 1000) * 1_000_000L;
            return new Timespec
            {
                Seconds = now.Seconds + milliseconds / 1000 + nanoseconds / 1_000_000_000L,
                Nanoseconds = nanoseconds % 1_000_000_000L,
            };
        }

        /// <summary>Opens an existing queue; -1 with errno set on failure.</summary>
        public static int Open(string name, int flags) => MqOpen(name, flags | O_CLOEXEC, 0, null);

        /// <summary>
        /// Creates a queue that must not exist yet (O_EXCL), mode 0600 whatever the umask; -1 with errno set
        /// on failure. <paramref name="access"/> may include O_NONBLOCK.
        /// </summary>
        public static int Create(string name, int access, long maxMessages, long messageSize)
        {
            MqAttr attributes = new() { MaxMessages = maxMessages, MessageSize = messageSize };
            int mqd = MqOpen(name, access | O_CREAT | O_EXCL | O_CLOEXEC, 0b110_000_000, &attributes);
            if (mqd >= 0 && FChmod(mqd, 0b110_000_000) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                Close(mqd);
                Unlink(name);
                Marshal.SetLastPInvokeError(errno);
                return -1;
            }
            return mqd;
        }

        /// <summary>The queue's attributes (its geometry and how many messages wait in it now).</summary>
        public static MqAttr Attributes(int mqd)
        {
            MqAttr attributes;
            if (GetAttr(mqd, &attributes) != 0)
            {
                throw LastError("mq_getattr");
            }
            return attributes;
        }

        /// <summary>This process's RLIMIT_MSGQUEUE (bytes all of its user's queues may hold); null if unknown.</summary>
        public static ulong? ByteBudget()
        {
            RLimit limit;
            return GetRLimit(RLIMIT_MSGQUEUE, &limit) == 0 ? limit.Current : null;
        }
    }
}
