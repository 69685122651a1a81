using IpcGen.Protocol;
using MessagePack;

namespace IpcGen.Tests.Protocol;

public sealed class PayloadTests
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    [Fact]
    public void Unmanaged_and_MessagePack_values_read_back_in_order()
    {
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Request, 1, 2, 1 << 20);
        writer.WriteUnmanaged(42);
        writer.WriteMessagePack("text", Options);
        writer.WriteUnmanaged(2.5);
        ReadOnlySpan<byte> frame = writer.Complete();

        var payload = new PayloadBuffer();
        payload.Set(frame.Slice(FrameHeader.Size));
        Assert.Equal(42, payload.ReadUnmanaged<int>());
        Assert.Equal("text", payload.ReadMessagePack<string>(Options));
        Assert.Equal(2.5, payload.ReadUnmanaged<double>());
        payload.EnsureFullyRead();
        Assert.Equal((uint)(frame.Length - FrameHeader.Size), FrameHeader.Read(frame, int.MaxValue).PayloadLength);
    }

    [Fact]
    public void Reading_past_the_end_is_a_protocol_error_not_an_out_of_bounds_read()
    {
        var payload = new PayloadBuffer();
        payload.Set(new byte[] { 1, 2, 3 });
        var ex = Assert.Throws<IpcProtocolException>(() => payload.ReadUnmanaged<int>());
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void Leftover_bytes_are_a_protocol_error()
    {
        var payload = new PayloadBuffer();
        payload.Set(new byte[] { 1, 2, 3, 4, 5 });
        payload.ReadUnmanaged<int>();
        Assert.Throws<IpcProtocolException>(() => payload.EnsureFullyRead());
    }

    [Fact]
    public void A_hostile_MessagePack_length_does_not_allocate_it()
    {
        var payload = new PayloadBuffer();
        payload.Set(new byte[] { 0xDD, 0x7F, 0xFF, 0xFF, 0xFF }); // array32 header: 2^31-1 items, none present
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<IpcProtocolException>(() => payload.ReadMessagePack<int[]>(Options));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void An_error_payload_fits_the_size_the_peer_accepts()
    {
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Error, 0, 0, 1024);
        ErrorPayload.Write(writer, new InvalidOperationException(new string('é', 100_000)), includeStackTrace: true, maxPayload: 1024);
        Assert.True(writer.PayloadLength <= 1024, $"{writer.PayloadLength} bytes");
        IpcRemoteException ex = ErrorPayload.Read(writer.Complete().Slice(FrameHeader.Size));
        Assert.StartsWith("ééé", ex.RemoteMessage);
    }

    [Fact]
    public void Writing_past_the_maximum_message_size_throws_before_sending()
    {
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Request, 1, 2, 1024);
        var ex = Assert.Throws<IpcMessageTooLargeException>(() => writer.WriteMessagePack(new byte[2048], Options));
        Assert.Equal(1024, ex.MaxMessageSize);
    }

    [Fact]
    public void A_handshake_round_trips_and_a_corrupt_one_is_refused()
    {
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Handshake, 0, 0, int.MaxValue);
        new Handshake(0xABCDEF, 4096, "Demo.ICalculator").Write(writer);
        byte[] payload = writer.Complete().Slice(FrameHeader.Size).ToArray();

        Assert.Equal(new Handshake(0xABCDEF, 4096, "Demo.ICalculator"), Handshake.Read(payload));
        Assert.Equal((byte)'I', payload[0]);
        Assert.Equal((byte)'G', payload[3]);

        byte[] badMagic = (byte[])payload.Clone();
        badMagic[0] ^= 0xFF;
        Assert.Throws<IpcProtocolException>(() => Handshake.Read(badMagic));
        Assert.Throws<IpcProtocolException>(() => Handshake.Read(payload.AsSpan(0, payload.Length - 1)));
        byte[] badVersion = (byte[])payload.Clone();
        badVersion[4] = 99;
        Assert.Contains("version 99", Assert.Throws<IpcProtocolException>(() => Handshake.Read(badVersion)).Message);
    }

    [Fact]
    public void An_error_payload_round_trips_and_rejects_out_of_range_lengths()
    {
        var writer = new FrameWriter();
        writer.Reset(FrameKind.Error, 0, 0, int.MaxValue);
        ErrorPayload.Write(writer, new InvalidOperationException("nope"), includeStackTrace: false, maxPayload: 1 << 20);
        byte[] payload = writer.Complete().Slice(FrameHeader.Size).ToArray();

        IpcRemoteException ex = ErrorPayload.Read(payload);
        Assert.Equal("System.InvalidOperationException", ex.RemoteTypeName);
        Assert.Equal("nope", ex.RemoteMessage);
        Assert.Null(ex.RemoteStackTrace);

        payload[0] = 0xFF;
        Assert.Throws<IpcProtocolException>(() => ErrorPayload.Read(payload));
    }
}
