using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>Anonymous memory files (memfd_create) and their seals (fcntl F_ADD_SEALS/F_GET_SEALS).</summary>
    internal static partial class Memfd
    {
        internal const uint MFD_CLOEXEC = 0x1;
        internal const uint MFD_ALLOW_SEALING = 0x2;

        internal const int F_ADD_SEALS = 1033;
        internal const int F_GET_SEALS = 1034;
        internal const int F_SEAL_SEAL = 0x1;
        internal const int F_SEAL_SHRINK = 0x2;
        internal const int F_SEAL_GROW = 0x4;
        internal const int F_SEAL_WRITE = 0x8;

        [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeFileHandle Create(string name, uint flags);

        [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
        internal static partial int Truncate(SafeFileHandle fd, long length);

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        internal static partial int Fcntl(SafeFileHandle fd, int command, int argument);

        /// <summary>Creates a sealable, close-on-exec memfd of <paramref name="size"/> bytes.</summary>
        public static SafeFileHandle CreateSized(string name, long size)
        {
            SafeFileHandle fd = Create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
            if (fd.IsInvalid)
            {
                IpcException error = LastError("memfd_create", name);
                fd.Dispose();
                throw error;
            }
            if (Truncate(fd, size) != 0)
            {
                IpcException error = LastError("ftruncate", name);
                fd.Dispose();
                throw error;
            }
            return fd;
        }
    }
}
