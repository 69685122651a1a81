namespace IpcGen.Generators.Model
{
    /// <summary>A type that crosses the wire, and whether it is copied raw or serialized.</summary>
    /// <param name="Type">The type, <c>global::</c>-qualified, nullable annotations kept.</param>
    /// <param name="IsUnmanaged">Copied as raw bytes (<c>WriteUnmanaged</c>/<c>ReadUnmanaged</c>); otherwise MessagePack.</param>
    internal sealed record ValueModel(string Type, bool IsUnmanaged);
}
