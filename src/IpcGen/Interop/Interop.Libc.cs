using System.Runtime.InteropServices;

namespace IpcGen;

/// <summary>Direct libc calls that neither the BCL nor Mono.Posix wrap. One file per call family.</summary>
internal static partial class Interop
{
    internal static partial class Libc
    {
        private const string Lib = "libc";

        internal const int LOCK_EX = 2;
        internal const int LOCK_NB = 4;
        internal const int EWOULDBLOCK = 11;
        internal const int EINTR = 4;

        [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
        internal static partial int Flock(SafeHandle fd, int operation);

        [LibraryImport(Lib, EntryPoint = "getuid")]
        internal static partial uint GetUid();

        [LibraryImport(Lib, EntryPoint = "getgid")]
        internal static partial uint GetGid();
    }
}
