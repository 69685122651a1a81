using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// Processes: posix_spawnp with descriptor remapping (so a child inherits exactly the pipe ends it is
    /// given, and no other child can), prctl(PR_SET_PDEATHSIG), getppid, and the identity of a process
    /// named by pid.
    /// </summary>
    internal static unsafe partial class Process
    {
        private const int PR_SET_PDEATHSIG = 1;
        internal const int SIGKILL = 9;

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
        private static partial int FileActionsInit(void* actions);

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
        private static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

        [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
        private static partial int FileActionsDestroy(void* actions);

        [LibraryImport("libc", EntryPoint = "posix_spawnp")]
        private static partial int SpawnP(int* pid, byte* file, void* actions, void* attributes, byte** argv, byte** envp);

        [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
        private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

        [LibraryImport("libc", EntryPoint = "getppid")]
        internal static partial int GetParentProcessId();

        /// <summary>Asks the kernel to SIGKILL this process when the thread that spawned it exits.</summary>
        public static void KillMeWithParent()
        {
            if (Prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            {
                throw LastError("prctl(PR_SET_PDEATHSIG)");
            }
        }

        /// <summary>
        /// Starts <paramref name="file"/> (searched in PATH) with <paramref name="arguments"/> and the
        /// environment <paramref name="environment"/>. Each (parentFd, childFd) pair is dup2'ed in the child,
        /// which clears close-on-exec on the child's copy only: the parent's descriptors stay O_CLOEXEC, so a
        /// child started concurrently elsewhere in the process never inherits them.
        /// </summary>
        public static int Spawn(string file, IReadOnlyList<string> arguments, IEnumerable<string> environment, ReadOnlySpan<(int ParentFd, int ChildFd)> descriptors)
        {
            var strings = new List<nint>();
            try
            {
                byte* Utf8(string text)
                {
                    nint p = Marshal.StringToCoTaskMemUTF8(text);
                    strings.Add(p);
                    return (byte*)p;
                }

                var argv = new nint[arguments.Count + 2];
                argv[0] = (nint)Utf8(file);
                for (int i = 0; i < arguments.Count; i++)
                {
                    argv[i + 1] = (nint)Utf8(arguments[i]);
                }
                var env = new List<nint>();
                foreach (string entry in environment)
                {
                    env.Add((nint)Utf8(entry));
                }
                env.Add(0);
                nint[] envp = env.ToArray();

                byte* actions = stackalloc byte[256]; // sizeof(posix_spawn_file_actions_t) is 80 on glibc
                FileActionsInit(actions);
                try
                {
                    foreach ((int parentFd, int childFd) in descriptors)
                    {
                        int error = FileActionsAddDup2(actions, parentFd, childFd);
                        if (error != 0)
                        {
                            throw new IpcException($"posix_spawn_file_actions_adddup2 failed: errno {error}");
                        }
                    }
                    int pid;
                    fixed (nint* argvPointer = argv)
                    fixed (nint* envPointer = envp)
                    {
                        int error = SpawnP(&pid, (byte*)argv[0], actions, null, (byte**)argvPointer, (byte**)envPointer);
                        if (error != 0)
                        {
                            throw new IpcException($"Cannot start '{file}': {new System.ComponentModel.Win32Exception(error).Message} (errno {error}).");
                        }
                    }
                    return pid;
                }
                finally
                {
                    FileActionsDestroy(actions);
                }
            }
            finally
            {
                foreach (nint p in strings)
                {
                    Marshal.FreeCoTaskMem(p);
                }
            }
        }

        /// <summary>
        /// The credentials of the live process <paramref name="pid"/>, and a pidfd that pins it. The owner of
        /// <c>/proc/&lt;pid&gt;</c> is the process's effective uid/gid; the pidfd, opened before the stat and
        /// checked after it, proves the stat saw that process and not a later one that reused the pid.
        /// Null if the process does not exist (or exited meanwhile).
        /// </summary>
        public static (PeerCredentials Credentials, SafeFileHandle Pidfd)? Identify(int pid)
        {
            SafeFileHandle? pidfd = Pidfd.Open(pid);
            if (pidfd is null)
            {
                return null;
            }
            if (Syscall.stat($"/proc/{pid}", out Stat stat) != 0 || Pidfd.HasExited(pidfd))
            {
                pidfd.Dispose();
                return null;
            }
            return (new PeerCredentials(pid, stat.st_uid, stat.st_gid), pidfd);
        }
    }
}

internal static partial class Interop
{
    internal static partial class Process
    {
        internal const int WNOHANG = 1;
        internal const int ECHILD = 10;
        internal const int F_DUPFD_CLOEXEC = 1030;
        internal const int F_SETFD = 2;
        internal const int FD_CLOEXEC = 1;

        [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
        internal static unsafe partial int WaitPid(int pid, int* status, int options);

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        internal static partial int Kill(int pid, int signal);

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int Fcntl(int fd, int command, int argument);

        /// <summary>Reaps <paramref name="pid"/> if it has exited; true once it is gone (reaped here or elsewhere).</summary>
        public static unsafe bool TryReap(int pid)
        {
            int status;
            int result = WaitPid(pid, &status, WNOHANG);
            return result == pid || (result < 0 && Marshal.GetLastPInvokeError() == ECHILD);
        }
    }
}
