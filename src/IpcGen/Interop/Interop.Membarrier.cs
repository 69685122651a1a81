using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// membarrier(2), global expedited: a full memory barrier on every CPU that is running a thread of a
    /// process that registered for it, issued by the thread about to sleep. It lets a writer skip its own
    /// fence after each record (the asymmetric form of the flag handshake in SharedMemoryRing).
    /// </summary>
    internal static partial class Membarrier
    {
        private const long SYS_membarrier = 324; // x86_64
        private const int MEMBARRIER_CMD_QUERY = 0;
        private const int MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1;
        private const int MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;

        [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
        private static partial long Syscall(long number, int command, uint flags, int cpuId);

        /// <summary>
        /// Whether this process is registered for global expedited barriers (done once, on first use): only
        /// then may it skip the fence after a record, relying on a sleeping peer's barrier instead.
        /// </summary>
        public static bool Registered { get; } = Register();

        private static bool Register()
        {
            long supported = Syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
            const int needed = MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
            return supported > 0 && (supported & needed) == needed
                && Syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) == 0;
        }

        /// <summary>Issues the barrier; false if the kernel refused it (the caller then must not rely on it).</summary>
        public static bool GlobalExpedited() => Syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) == 0;
    }
}
