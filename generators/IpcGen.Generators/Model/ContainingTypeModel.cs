namespace IpcGen.Generators.Model
{
    /// <summary>A type that contains the contract interface, re-declared <c>partial</c> around it.</summary>
    /// <param name="Keyword">The declaration keyword: <c>class</c>, <c>struct</c>, <c>interface</c>, <c>record</c> or <c>record struct</c>.</param>
    /// <param name="Name">The type's identifier, escaped if it is a keyword.</param>
    internal sealed record ContainingTypeModel(string Keyword, string Name);
}
