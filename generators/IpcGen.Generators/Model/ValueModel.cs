namespace IpcGen.Generators.Model
{
    /// <summary>A type that crosses the wire, and whether it is copied raw or serialized.</summary>
    /// <param name="Type">The type, <c>global::</c>-qualified, nullable annotations kept.</param>
    /// <param name="IsUnmanaged">Copied as raw bytes (<c>WriteUnmanaged</c>/<c>ReadUnmanaged</c>); otherwise MessagePack.</param>
    /// <param name="NullableUnderlyingType">
    /// For <c>T?</c> of an unmanaged <c>T</c>: <c>T</c>, written with <c>WriteNullable</c>/<c>ReadNullable</c>
    /// (a presence byte, then the raw value), since <c>T?</c> does not satisfy the <c>unmanaged</c> constraint.
    /// </param>
    /// <param name="RegionElementType">
    /// For <c>SharedRegion&lt;T&gt;</c>: <c>T</c>, written with <c>WriteRegion</c>/<c>ReadRegion</c> (its descriptor
    /// or its name travels, not its bytes). Parameters only (IPCG016).
    /// </param>
    internal sealed record ValueModel(string Type, bool IsUnmanaged, string? NullableUnderlyingType = null, string? RegionElementType = null);
}
