using IpcGen.Protocol;

namespace IpcGen.Tests.Protocol;

public sealed class FrameHeaderTests
{
    [Fact]
    public void A_header_round_trips_in_little_endian_layout()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(0x01020304, FrameKind.Response, 0x05, 0x0A0B0C0D, 0x11223344).Write(bytes);
        Assert.Equal(new byte[] { 4, 3, 2, 1, 6, 5, 0, 0, 0x0D, 0x0C, 0x0B, 0x0A, 0x44, 0x33, 0x22, 0x11 }, bytes);

        FrameHeader read = FrameHeader.Read(bytes, int.MaxValue);
        Assert.Equal(0x01020304u, read.PayloadLength);
        Assert.Equal(FrameKind.Response, read.Kind);
        Assert.Equal(0x05, read.Flags);
        Assert.Equal(0x0A0B0C0Du, read.MethodId);
        Assert.Equal(0x11223344u, read.CallId);
    }

    [Fact]
    public void A_length_over_the_limit_is_a_protocol_error()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(1025, FrameKind.Request, 0, 1, 1).Write(bytes);
        var ex = Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(bytes, 1024));
        Assert.Contains("1025", ex.Message);
        FrameHeader.Read(bytes, 1025);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(255)]
    public void An_unknown_kind_is_a_protocol_error(byte kind)
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(0, FrameKind.Request, 0, 1, 1).Write(bytes);
        bytes[4] = kind;
        Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(bytes, 1024));
    }

    [Fact]
    public void A_nonzero_reserved_field_is_a_protocol_error()
    {
        var bytes = new byte[FrameHeader.Size];
        new FrameHeader(0, FrameKind.Request, 0, 1, 1).Write(bytes);
        bytes[7] = 1;
        Assert.Throws<IpcProtocolException>(() => FrameHeader.Read(bytes, 1024));
    }
}
