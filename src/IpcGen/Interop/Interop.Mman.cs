using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>mmap/munmap of shared file-backed memory.</summary>
    internal static unsafe partial class Mman
    {
        internal const int PROT_READ = 0x1;
        internal const int PROT_WRITE = 0x2;
        internal const int MAP_SHARED = 0x01;
        private static readonly nint MAP_FAILED = -1;

        [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
        private static partial nint MapCore(nint address, nuint length, int protection, int flags, SafeFileHandle fd, long offset);

        [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
        internal static partial int Unmap(nint address, nuint length);

        /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> read-write and shared.</summary>
        public static byte* MapShared(SafeFileHandle fd, long length, string what)
        {
            nint address = MapCore(0, (nuint)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (address == MAP_FAILED)
            {
                throw LastError("mmap", what);
            }
            return (byte*)address;
        }
    }
}
