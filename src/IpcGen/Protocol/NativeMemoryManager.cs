using System.Buffers;

namespace IpcGen.Protocol;

/// <summary>
/// Native memory (a shared-memory ring) seen as <see cref="Memory{T}"/>, which MessagePack asks for where
/// a span will not do. One instance per reader or writer, re-pointed for each use, so nothing is allocated
/// per call; the memory is not owned and never freed here.
/// </summary>
internal sealed unsafe class NativeMemoryManager : MemoryManager<byte>
{
    private byte* _pointer;
    private int _length;

    public void Point(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
