using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>
    /// What shared regions and shared mutexes need beyond the other call families: exclusive create, the
    /// calling thread's kernel id, and whether a thread still lives.
    /// </summary>
    internal static partial class SharedRegion
    {
        internal const int O_EXCL = 0x80;
        internal const int ESRCH = 3;

        [LibraryImport("libc", EntryPoint = "gettid")]
        internal static partial int GetThreadId();

        [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static partial int Kill(int pid, int signal);

        /// <summary>
        /// Whether the kernel task <paramref name="tid"/> is gone: no such task, or a zombie waiting to be
        /// reaped (kill(2) still succeeds on a zombie, so its state in <c>/proc</c> decides).
        /// </summary>
        public static bool IsTaskDead(int tid)
        {
            if (Kill(tid, 0) != 0)
            {
                return Marshal.GetLastPInvokeError() == ESRCH;
            }
            try
            {
                // "<tid> (<comm>) <state> ...": comm may contain spaces or parentheses, so read after the last ')'.
                string stat = File.ReadAllText($"/proc/{tid}/stat");
                int close = stat.LastIndexOf(')');
                return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
            }
            catch (IOException)
            {
                return true; // vanished between kill() and the read
            }
            catch (UnauthorizedAccessException)
            {
                return false; // alive, another user's: not ours to judge
            }
        }
    }
}
