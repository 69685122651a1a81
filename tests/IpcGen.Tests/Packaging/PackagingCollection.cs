using Xunit;

namespace IpcGen.Tests.Packaging;

/// <summary>
/// The packaging tests pack, restore, compile and start processes: they run on their own, after the
/// parallel tests, so they neither slow those down nor are slowed down by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection
{
    public const string Name = "Packaging";
}
