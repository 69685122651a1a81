using System.Buffers.Binary;
using System.Globalization;

namespace IpcGen.Transports.Pipe;

/// <summary>
/// The FIFO transport's file names and its two fixed records. For endpoint <c>name</c>, in the runtime
/// directory: <c>name.fifo</c> (the well-known connect FIFO), <c>name.fifo.lock</c> (held by the live
/// server), and per connecting client <c>name.fifo.&lt;pid&gt;.&lt;seq&gt;.req</c> / <c>.rsp</c>, which the
/// client deletes as soon as both sides have them open.
/// </summary>
internal static class FifoNames
{
    public const uint ConnectMagic = 0x46435049;  // "IPCF"
    public const uint AcceptMagic = 0x41435049;   // "IPCA"
    public const int RecordSize = 16;             // << PIPE_BUF: a record is written atomically

    public static string ConnectFifo(string endpoint, bool createDirectory) => EndpointPath.Resolve(endpoint, ".fifo", createDirectory);

    public static string Lock(string connectFifo) => connectFifo + ".lock";

    public static string Request(string connectFifo, int pid, uint sequence) => string.Create(CultureInfo.InvariantCulture, $"{connectFifo}.{pid}.{sequence}.req");

    public static string Response(string connectFifo, int pid, uint sequence) => string.Create(CultureInfo.InvariantCulture, $"{connectFifo}.{pid}.{sequence}.rsp");

    /// <summary>Connect record: <c>u32 "IPCF" | i32 pid | u32 sequence | u32 check (= magic ^ pid ^ sequence)</c>.</summary>
    public static void WriteConnect(Span<byte> record, int pid, uint sequence)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, ConnectMagic);
        BinaryPrimitives.WriteInt32LittleEndian(record.Slice(4), pid);
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(8), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(12), ConnectMagic ^ (uint)pid ^ sequence);
    }

    public static bool TryReadConnect(ReadOnlySpan<byte> record, out int pid, out uint sequence)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(record);
        pid = BinaryPrimitives.ReadInt32LittleEndian(record.Slice(4));
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(record.Slice(8));
        uint check = BinaryPrimitives.ReadUInt32LittleEndian(record.Slice(12));
        return magic == ConnectMagic && check == (magic ^ (uint)pid ^ sequence) && pid > 0;
    }

    /// <summary>Accept record, the first bytes on a response FIFO: <c>u32 "IPCA" | i32 server pid | u64 0</c>.</summary>
    public static void WriteAccept(Span<byte> record, int pid)
    {
        record.Slice(0, RecordSize).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record, AcceptMagic);
        BinaryPrimitives.WriteInt32LittleEndian(record.Slice(4), pid);
    }

    public static bool TryReadAccept(ReadOnlySpan<byte> record, out int pid)
    {
        pid = BinaryPrimitives.ReadInt32LittleEndian(record.Slice(4));
        return BinaryPrimitives.ReadUInt32LittleEndian(record) == AcceptMagic && pid > 0 && BinaryPrimitives.ReadUInt64LittleEndian(record.Slice(8)) == 0;
    }

    /// <summary>
    /// Scans <paramref name="buffer"/> from <paramref name="start"/> for the next valid connect record,
    /// skipping bytes that do not begin one. On success <paramref name="start"/> is past the record; on
    /// failure it is where fewer than a record's bytes remain.
    /// </summary>
    public static bool FindConnect(ReadOnlySpan<byte> buffer, ref int start, out int pid, out uint sequence)
    {
        while (buffer.Length - start >= RecordSize)
        {
            if (TryReadConnect(buffer.Slice(start, RecordSize), out pid, out sequence))
            {
                start += RecordSize;
                return true;
            }
            start++;
        }
        pid = 0;
        sequence = 0;
        return false;
    }
}
