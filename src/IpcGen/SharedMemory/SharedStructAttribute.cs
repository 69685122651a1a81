namespace IpcGen;

/// <summary>
/// Marks a struct meant to live in memory shared between processes, mapped with <see cref="SharedRegion{T}"/>.
/// IpcGen's analyzers then check it: only unmanaged, address-free fields (no references, pointers or
/// <see cref="IntPtr"/>), an explicit sequential or explicit layout, and no access to its fields through
/// shared memory without the region's lock or an atomic operation.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class SharedStructAttribute : Attribute
{
}
