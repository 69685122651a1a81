namespace IpcGen;

/// <summary>
/// A shared region could not be opened because it was made for another struct layout, another element
/// count or by another version of IpcGen, or is not a shared region at all.
/// </summary>
public sealed class SharedRegionLayoutException : IpcException
{
    /// <summary>Creates the exception with a message that names the region and both sides of the mismatch.</summary>
    public SharedRegionLayoutException(string message) : base(message) { }
}
