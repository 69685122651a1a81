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

        internal const int O_RDWR = 0x2;
        internal const int O_CREAT = 0x40;
        internal const int O_NOFOLLOW = 0x20000;
        internal const int O_CLOEXEC = 0x80000;

        // Plain open(2): File.OpenHandle takes a BSD lock of its own on every open, which would collide
        // with the flock that marks endpoint ownership.
        [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial Microsoft.Win32.SafeHandles.SafeFileHandle Open(string path, int flags, int mode);

        [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
        internal static partial int Flock(SafeHandle fd, int operation);

        [LibraryImport(Lib, EntryPoint = "getuid")]
        internal static partial uint GetUid();

        [LibraryImport(Lib, EntryPoint = "getgid")]
        internal static partial uint GetGid();
    }
}
