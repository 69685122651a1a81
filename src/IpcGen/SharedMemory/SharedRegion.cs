using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace IpcGen;

/// <summary>
/// One <typeparamref name="T"/>, or an array of them, in memory shared between processes. One process
/// <see cref="Create"/>s the region under a name (a file inside IpcGen's private runtime directory, mode
/// <c>0600</c>); others <see cref="Open"/> it by that name and see the same bytes. A 128-byte header carries
/// a magic number, a version, the sizes and a hash of <typeparamref name="T"/>'s layout, so opening a region
/// made for another layout fails with <see cref="SharedRegionLayoutException"/> instead of reading garbage.
/// </summary>
/// <remarks>
/// Nothing in shared memory is synchronized for you: write it while holding <see cref="Lock"/> (or a
/// <see cref="SharedMutex"/> inside <typeparamref name="T"/>), or with <see cref="Interlocked"/> and
/// <see cref="Volatile"/>. IpcGen's analyzers (IPCG1xx) check this at compile time. Mark
/// <typeparamref name="T"/> with <see cref="SharedStructAttribute"/> so they do.
/// Disposing unmaps the memory; the creator also removes the file. Do not use references obtained from
/// <see cref="Value"/> or the indexer, nor guards from <see cref="Lock"/>, after disposing.
/// </remarks>
/// <typeparam name="T">An unmanaged struct without pointers: its bytes must mean the same in every process.</typeparam>
public sealed unsafe class SharedRegion<[DynamicallyAccessedMembers(SharedLayout.Fields)] T> : IDisposable
    where T : unmanaged
{
    private const int FileMode = 0x180; // 0600
    private static readonly TimeSpan OpenWait = TimeSpan.FromSeconds(2);

    private readonly SafeFileHandle _file;
    private readonly nuint _mappedSize;
    private readonly bool _isCreator;
    private byte* _base;

    private SharedRegion(string name, string path, SafeFileHandle file, byte* mapped, nuint mappedSize, int length, bool isCreator)
    {
        Name = name;
        Path = path;
        _file = file;
        _base = mapped;
        _mappedSize = mappedSize;
        Length = length;
        _isCreator = isCreator;
    }

    /// <summary>The name the region was created or opened under.</summary>
    public string Name { get; }

    /// <summary>The file that backs the region.</summary>
    public string Path { get; }

    /// <summary>How many <typeparamref name="T"/> the region holds.</summary>
    public int Length { get; }

    /// <summary>Whether this process created the region (and removes it when disposed).</summary>
    public bool IsCreator => _isCreator;

    /// <summary>The first (or only) element, in place in shared memory.</summary>
    public ref T Value => ref *(T*)(Base + SharedRegionHeader.Size);

    /// <summary>The element at <paramref name="index"/>, in place in shared memory.</summary>
    public ref T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                ThrowIndexOutOfRange(index);
            }
            return ref ((T*)(Base + SharedRegionHeader.Size))[index];
        }
    }

    /// <summary>All elements, in place. The analyzers do not follow spans: synchronize their use yourself.</summary>
    public Span<T> AsSpan() => new(Base + SharedRegionHeader.Size, Length);

    /// <summary>
    /// Takes the region's own lock, a <see cref="SharedMutex"/> in its header that every process mapping the
    /// region shares: <c>using (region.Lock()) { region.Value.Count++; }</c>. See <see cref="SharedMutex.Lock"/>.
    /// </summary>
    public SharedMutexGuard Lock() => Header->Lock.Lock();

    /// <summary>Takes the region's lock if it can within <paramref name="timeout"/>. See <see cref="SharedMutex.TryLock"/>.</summary>
    public bool TryLock(TimeSpan timeout, out SharedMutexGuard guard) => Header->Lock.TryLock(timeout, out guard);

    private byte* Base
    {
        get
        {
            byte* mapped = _base;
            if (mapped == null)
            {
                ThrowDisposed();
            }
            return mapped;
        }
    }

    private SharedRegionHeader* Header => (SharedRegionHeader*)Base;

    /// <summary>
    /// Creates a region of <paramref name="length"/> zeroed elements under <paramref name="name"/>. Fails
    /// with <see cref="IpcEndpointInUseException"/> when a live region has that name; a file left by a
    /// crashed creator (no process maps it any more) is replaced.
    /// </summary>
    public static SharedRegion<T> Create(string name, int length = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        IpcPlatform.EnsureSupported();
        string path = ResolvePath(name, createDirectory: true);
        long elementsSize = (long)Unsafe.SizeOf<T>() * length;
        long total = SharedRegionHeader.Size + elementsSize;
        if (total > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"{length} elements of {Unsafe.SizeOf<T>()} bytes do not fit in one region (2 GiB).");
        }

        SafeFileHandle file = CreateExclusive(path);
        byte* mapped = null;
        try
        {
            HoldShared(file, path);
            if (Interop.Memfd.Truncate(file, total) != 0)
            {
                throw Interop.LastError("ftruncate", path);
            }
            mapped = Interop.Mman.MapShared(file, total, path);
            var header = (SharedRegionHeader*)mapped;
            header->Magic = SharedRegionHeader.MagicValue;
            header->Version = SharedRegionHeader.CurrentVersion;
            header->HeaderSize = SharedRegionHeader.Size;
            header->LayoutHash = SharedLayout<T>.Hash;
            header->ElementSize = (uint)Unsafe.SizeOf<T>();
            header->ElementCount = (uint)length;
            header->TotalSize = (ulong)total;
            Volatile.Write(ref header->State, SharedRegionHeader.StateReady); // publishes everything above
            return new SharedRegion<T>(name, path, file, mapped, (nuint)total, length, isCreator: true);
        }
        catch
        {
            if (mapped != null)
            {
                Interop.Mman.Unmap((nint)mapped, (nuint)total);
            }
            File.Delete(path);
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the region another process created under <paramref name="name"/>. Fails with
    /// <see cref="FileNotFoundException"/> if there is none, and with <see cref="SharedRegionLayoutException"/>
    /// if it was made for another layout of <typeparamref name="T"/> or is not a shared region.
    /// </summary>
    public static SharedRegion<T> Open(string name)
    {
        IpcPlatform.EnsureSupported();
        string path = ResolvePath(name, createDirectory: false);
        SafeFileHandle file = Interop.Libc.Open(path, Interop.Libc.O_RDWR | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC, 0);
        if (file.IsInvalid)
        {
            Errno errno = Stdlib.GetLastError();
            file.Dispose();
            throw errno == Errno.ENOENT
                ? new FileNotFoundException($"No shared region '{name}' exists ({path}); create it first with SharedRegion<{typeof(T).Name}>.Create.", path)
                : new IpcException($"Cannot open the shared region '{path}': {errno}.");
        }

        byte* mapped = null;
        long size = 0;
        try
        {
            HoldShared(file, path);
            size = WaitForHeader(file, path);
            mapped = Interop.Mman.MapShared(file, size, path);
            int length = Validate((SharedRegionHeader*)mapped, size, name);
            return new SharedRegion<T>(name, path, file, mapped, (nuint)size, length, isCreator: false);
        }
        catch
        {
            if (mapped != null)
            {
                Interop.Mman.Unmap((nint)mapped, (nuint)size);
            }
            file.Dispose();
            throw;
        }
    }

    /// <summary>The open file behind the mapping, for passing the region to another process (SCM_RIGHTS).</summary>
    internal SafeFileHandle FileHandle
    {
        get
        {
            if (_base == null)
            {
                ThrowDisposed();
            }
            return _file;
        }
    }

    /// <summary>
    /// Maps a region whose open file another process passed over a Unix socket, checking its header exactly as
    /// <see cref="Open"/> does. Takes ownership of <paramref name="file"/>. Works even when the name is gone:
    /// the descriptor, not the path, names the memory.
    /// </summary>
    internal static SharedRegion<T> FromDescriptor(SafeFileHandle file, string name)
    {
        byte* mapped = null;
        long size = 0;
        try
        {
            if (!IsRegularFile(file))
            {
                throw new SharedRegionLayoutException($"The descriptor passed for shared region '{name}' is not a regular file.");
            }
            HoldShared(file, name); // the same open file as the sender's: its shared lock is already there
            size = RandomAccess.GetLength(file);
            if (size < SharedRegionHeader.Size)
            {
                throw new SharedRegionLayoutException($"The descriptor passed for shared region '{name}' is {size} bytes long, too short for a shared region header.");
            }
            mapped = Interop.Mman.MapShared(file, size, name);
            int length = Validate((SharedRegionHeader*)mapped, size, name);
            return new SharedRegion<T>(name, ResolvePathOrName(name), file, mapped, (nuint)size, length, isCreator: false);
        }
        catch
        {
            if (mapped != null)
            {
                Interop.Mman.Unmap((nint)mapped, (nuint)size);
            }
            file.Dispose();
            throw;
        }
    }

    private static bool IsRegularFile(SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return Syscall.fstat((int)file.DangerousGetHandle(), out Stat stat) == 0
                && (stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFREG;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private static string ResolvePathOrName(string name)
    {
        try
        {
            return ResolvePath(name, createDirectory: false);
        }
        catch (ArgumentException)
        {
            return name; // a hostile or odd name from the peer: keep it only as a label
        }
    }

    /// <summary>Unmaps the region; the creator also removes its file (processes that have it open keep their mapping).</summary>
    public void Dispose()
    {
        byte* mapped = _base;
        if (mapped == null)
        {
            return;
        }
        _base = null;
        if (_isCreator)
        {
            File.Delete(Path);
        }
        Interop.Mman.Unmap((nint)mapped, _mappedSize);
        _file.Dispose();
    }

    private static string ResolvePath(string name, bool createDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('/') || name is "." or "..")
        {
            throw new ArgumentException($"Shared region name '{name}' must be a plain name: regions live in IpcGen's private runtime directory.", nameof(name));
        }
        string directory = createDirectory ? Transports.RuntimeDirectory.Ensure() : Transports.RuntimeDirectory.Path;
        return System.IO.Path.Combine(directory, name + ".region");
    }

    /// <summary>O_EXCL create; a leftover file nobody holds (every user holds a shared flock) is a crashed creator's, and is replaced.</summary>
    private static SafeFileHandle CreateExclusive(string path)
    {
        const int flags = Interop.Libc.O_RDWR | Interop.Libc.O_CREAT | Interop.SharedRegion.O_EXCL | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC;
        for (int attempt = 0; ; attempt++)
        {
            SafeFileHandle file = Interop.Libc.Open(path, flags, FileMode);
            if (!file.IsInvalid)
            {
                return file;
            }
            Errno errno = Stdlib.GetLastError();
            file.Dispose();
            if (errno != Errno.EEXIST || attempt == 3)
            {
                throw errno == Errno.EEXIST
                    ? new IpcEndpointInUseException(path)
                    : new IpcException($"Cannot create the shared region '{path}': {errno}.");
            }
            if (!TryRemoveAbandoned(path))
            {
                throw new IpcEndpointInUseException(path);
            }
        }
    }

    private static bool TryRemoveAbandoned(string path)
    {
        using SafeFileHandle existing = Interop.Libc.Open(path, Interop.Libc.O_RDWR | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC, 0);
        if (existing.IsInvalid)
        {
            return Stdlib.GetLastError() == Errno.ENOENT; // gone meanwhile: just retry
        }
        if (Interop.Libc.Flock(existing, Interop.Libc.LOCK_EX | Interop.Libc.LOCK_NB) != 0)
        {
            return false; // some live process still has it
        }
        File.Delete(path);
        return true;
    }

    private static void HoldShared(SafeFileHandle file, string path)
    {
        const int LOCK_SH = 1;
        if (Interop.Libc.Flock(file, LOCK_SH) != 0)
        {
            throw Interop.LastError("flock", path);
        }
    }

    /// <summary>The creator truncates and fills the header right after creating the file; give it a moment.</summary>
    private static long WaitForHeader(SafeFileHandle file, string path)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            long size = RandomAccess.GetLength(file);
            if (size >= SharedRegionHeader.Size)
            {
                return size;
            }
            if (clock.Elapsed > OpenWait)
            {
                throw new SharedRegionLayoutException($"'{path}' is {size} bytes long, too short for a shared region header: it is not a shared region, or its creator died while creating it.");
            }
            Thread.Sleep(5);
        }
    }

    private static int Validate(SharedRegionHeader* header, long fileSize, string name)
    {
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref header->State) != SharedRegionHeader.StateReady)
        {
            if (clock.Elapsed > OpenWait)
            {
                throw new SharedRegionLayoutException($"The shared region '{name}' never became ready: its creator died while creating it, or it is not a shared region.");
            }
            Thread.Sleep(5);
        }

        // Read once into a private copy; only the copy is checked and used.
        SharedRegionHeader copy = *header;
        if (copy.Magic != SharedRegionHeader.MagicValue)
        {
            throw new SharedRegionLayoutException($"'{name}' is not an IpcGen shared region (magic 0x{copy.Magic:x16}).");
        }
        if (copy.Version != SharedRegionHeader.CurrentVersion || copy.HeaderSize != SharedRegionHeader.Size)
        {
            throw new SharedRegionLayoutException($"The shared region '{name}' has header version {copy.Version} (size {copy.HeaderSize}); this IpcGen reads version {SharedRegionHeader.CurrentVersion}.");
        }
        if (copy.LayoutHash != SharedLayout<T>.Hash || copy.ElementSize != (uint)Unsafe.SizeOf<T>())
        {
            throw new SharedRegionLayoutException(
                $"The shared region '{name}' was created for another layout of its element type: it holds {copy.ElementSize}-byte elements with layout hash 0x{copy.LayoutHash:x16}, " +
                $"but {typeof(T).FullName} here is {Unsafe.SizeOf<T>()} bytes with layout hash 0x{SharedLayout<T>.Hash:x16} ({SharedLayout<T>.Description}). Build both processes from the same definition of the struct.");
        }
        long expected = SharedRegionHeader.Size + (long)copy.ElementSize * copy.ElementCount;
        if (copy.ElementCount == 0 || copy.TotalSize != (ulong)expected || fileSize != expected)
        {
            throw new SharedRegionLayoutException($"The shared region '{name}' is inconsistent: {copy.ElementCount} elements of {copy.ElementSize} bytes need {expected} bytes, the header says {copy.TotalSize} and the file has {fileSize}.");
        }
        return checked((int)copy.ElementCount);
    }

    [DoesNotReturn]
    private static void ThrowIndexOutOfRange(int index)
        => throw new ArgumentOutOfRangeException(nameof(index), index, "The index is outside the region.");

    [DoesNotReturn]
    private void ThrowDisposed() => throw new ObjectDisposedException(nameof(SharedRegion<T>), $"The shared region '{Name}' is disposed.");
}
