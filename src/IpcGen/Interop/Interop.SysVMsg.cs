using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// System V message queues: msgget, msgsnd, msgrcv, msgctl. A message buffer is <c>long mtype</c>
    /// followed by the body; every size passed here counts the body only. Queue ids are plain ints, not
    /// descriptors: nothing to close, the queue lives until <c>IPC_RMID</c>.
    /// </summary>
    internal static unsafe partial class SysVMsg
    {
        internal const int IPC_CREAT = 0x200;   // 01000
        internal const int IPC_EXCL = 0x400;    // 02000
        internal const int IPC_NOWAIT = 0x800;  // 04000
        internal const int MSG_NOERROR = 0x1000; // 010000

        internal const int IPC_RMID = 0;
        internal const int IPC_STAT = 2;

        internal const int ENOENT = 2;
        internal const int EINTR = 4;
        internal const int E2BIG = 7;
        internal const int EAGAIN = 11;
        internal const int EACCES = 13;
        internal const int EEXIST = 17;
        internal const int EINVAL = 22;
        internal const int ENOMSG = 42;
        internal const int EIDRM = 43;

        /// <summary>Size of the <c>long mtype</c> that precedes every message body.</summary>
        internal const int TypeSize = sizeof(long);

        /// <summary>Room for <c>struct msqid_ds</c> on every Linux ABI (120 bytes on x86-64).</summary>
        internal const int MsqidDsSize = 256;

        /// <summary>usleep: the sub-millisecond back-off while a full queue drains (Thread.Sleep rounds up to 1 ms).</summary>
        [LibraryImport("libc", EntryPoint = "usleep")]
        internal static partial int SleepMicroseconds(uint microseconds);

        [LibraryImport("libc", EntryPoint = "msgget", SetLastError = true)]
        internal static partial int MsgGet(int key, int flags);

        [LibraryImport("libc", EntryPoint = "msgsnd", SetLastError = true)]
        internal static partial int MsgSnd(int id, void* message, nuint bodySize, int flags);

        [LibraryImport("libc", EntryPoint = "msgrcv", SetLastError = true)]
        internal static partial nint MsgRcv(int id, void* message, nuint bodySize, long type, int flags);

        [LibraryImport("libc", EntryPoint = "msgctl", SetLastError = true)]
        internal static partial int MsgCtl(int id, int command, void* buffer);

        /// <summary>What IPC_STAT tells: the owner fields of the queue's <c>ipc_perm</c>, and how full it is.</summary>
        internal readonly record struct QueueStatus(uint UserId, uint CreatorUserId, uint Mode, long Bytes, long Messages);

        /// <summary>IPC_STAT: the queue's owner, mode and fill; null with errno set when it fails.</summary>
        public static QueueStatus? Stat(int id)
        {
            byte* buffer = stackalloc byte[MsqidDsSize];
            if (MsgCtl(id, IPC_STAT, buffer) != 0)
            {
                return null;
            }
            // 64-bit msqid_ds: struct ipc_perm (48 bytes: key, uid, gid, cuid, cgid, mode, seq, reserved),
            // then stime, rtime, ctime, cbytes, qnum, qbytes, lspid, lrpid.
            return new QueueStatus(*(uint*)(buffer + 4), *(uint*)(buffer + 12), *(ushort*)(buffer + 20) & 0xFFFu, *(long*)(buffer + 72), *(long*)(buffer + 80));
        }

        /// <summary>IPC_RMID; true when the queue is gone (removed here or already).</summary>
        public static bool Remove(int id)
            => MsgCtl(id, IPC_RMID, null) == 0 || Marshal.GetLastPInvokeError() is EINVAL or EIDRM;

        /// <summary>The kernel's per-message and per-queue byte limits (never raised here: that needs root).</summary>
        public static (int MaxMessage, int MaxQueueBytes) Limits()
            => (ReadLimit("/proc/sys/kernel/msgmax", 8192), ReadLimit("/proc/sys/kernel/msgmnb", 16384));

        private static int ReadLimit(string path, int fallback)
        {
            try
            {
                return int.TryParse(File.ReadAllText(path).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value > 0
                    ? value
                    : fallback;
            }
            catch (IOException)
            {
                return fallback;
            }
            catch (UnauthorizedAccessException)
            {
                return fallback;
            }
        }
    }
}
