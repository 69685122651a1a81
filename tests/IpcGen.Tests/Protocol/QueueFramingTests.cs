using IpcGen.Protocol;
using IpcGen.Transports.Queues;

namespace IpcGen.Tests.Protocol;

/// <summary>The envelope, fragmenter and reassembler the two message-queue transports share.</summary>
public sealed class QueueFramingTests
{
    private static byte[] Frame(int payloadLength, byte priority = 0)
    {
        var frame = new byte[FrameHeader.Size + payloadLength];
        new FrameHeader((uint)payloadLength, FrameKind.Request, priority, 7, 9).Write(frame);
        for (int i = FrameHeader.Size; i < frame.Length; i++)
        {
            frame[i] = (byte)(i * 31);
        }
        return frame;
    }

    private static List<(QueueMessageKind Kind, byte[] Body)> Cut(byte[] frame, int maxBody)
    {
        var pieces = new List<(QueueMessageKind, byte[])>();
        var fragments = new FrameFragments(frame, maxBody);
        while (fragments.MoveNext())
        {
            pieces.Add((fragments.Kind, fragments.Body.ToArray()));
        }
        return pieces;
    }

    [Fact]
    public void A_frame_that_fits_travels_whole_at_its_priority()
    {
        byte[] frame = Frame(100, priority: 9);
        var pieces = Cut(frame, 200);
        var (kind, body) = Assert.Single(pieces);
        Assert.Equal(QueueMessageKind.Whole, kind);
        Assert.Equal(frame, body);
        Assert.Equal(9u, QueueMessage.PriorityOf(frame, kind));
        Assert.Equal(0u, QueueMessage.PriorityOf(frame, QueueMessageKind.Begin));
    }

    [Theory]
    [InlineData(116, 58)]      // exactly two pieces
    [InlineData(100_000, 8184)]
    [InlineData(1 << 20, 2040)]
    public void A_large_frame_is_cut_in_order_and_put_back_together(int frameLength, int maxBody)
    {
        byte[] frame = Frame(frameLength - FrameHeader.Size);
        var pieces = Cut(frame, maxBody);
        Assert.Equal((frameLength + maxBody - 1) / maxBody, pieces.Count);
        Assert.Equal(QueueMessageKind.Begin, pieces[0].Kind);
        Assert.Equal(QueueMessageKind.End, pieces[^1].Kind);
        Assert.All(pieces.Skip(1).SkipLast(1), p => Assert.Equal(QueueMessageKind.Continue, p.Kind));
        Assert.All(pieces, p => Assert.InRange(p.Body.Length, 1, maxBody));

        using var reassembler = new FrameReassembler();
        for (int i = 0; i < pieces.Count; i++)
        {
            bool complete = reassembler.Add(pieces[i].Kind, pieces[i].Body, int.MaxValue, out ReadOnlySpan<byte> whole);
            Assert.Equal(i == pieces.Count - 1, complete);
            if (complete)
            {
                Assert.True(whole.SequenceEqual(frame));
            }
        }
        Assert.False(reassembler.InProgress);
    }

    [Fact]
    public void A_whole_frame_may_overtake_the_pieces_of_a_fragmented_one()
    {
        byte[] big = Frame(500);
        byte[] urgent = Frame(4, priority: 31);
        var pieces = Cut(big, 200);
        using var reassembler = new FrameReassembler();
        Assert.False(reassembler.Add(pieces[0].Kind, pieces[0].Body, 1000, out _));
        Assert.True(reassembler.Add(QueueMessageKind.Whole, urgent, 1000, out ReadOnlySpan<byte> overtaking));
        Assert.True(overtaking.SequenceEqual(urgent));
        Assert.True(reassembler.InProgress);
        Assert.False(reassembler.Add(pieces[1].Kind, pieces[1].Body, 1000, out _));
        Assert.True(reassembler.Add(pieces[2].Kind, pieces[2].Body, 1000, out ReadOnlySpan<byte> whole));
        Assert.True(whole.SequenceEqual(big));
    }

    public static TheoryData<string> Violations => new()
    {
        "continue without begin", "end without begin", "begin twice", "longer than announced",
        "end short", "continue completes", "over the limit", "begin holds everything", "begin shorter than a header",
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Pieces_that_do_not_add_up_are_protocol_violations(string violation)
    {
        byte[] frame = Frame(300);
        var pieces = Cut(frame, 128); // Begin 128, Continue 128, End 60
        using var reassembler = new FrameReassembler();
        void Add(QueueMessageKind kind, byte[] body, int max = 1000) => reassembler.Add(kind, body, max, out _);

        var ex = Assert.Throws<IpcProtocolException>(() =>
        {
            switch (violation)
            {
                case "continue without begin": Add(QueueMessageKind.Continue, pieces[1].Body); break;
                case "end without begin": Add(QueueMessageKind.End, pieces[2].Body); break;
                case "begin twice": Add(pieces[0].Kind, pieces[0].Body); Add(pieces[0].Kind, pieces[0].Body); break;
                case "longer than announced": Add(pieces[0].Kind, pieces[0].Body); Add(pieces[1].Kind, pieces[1].Body); Add(QueueMessageKind.End, new byte[61]); break;
                case "end short": Add(pieces[0].Kind, pieces[0].Body); Add(QueueMessageKind.End, pieces[1].Body); break;
                case "continue completes": Add(pieces[0].Kind, pieces[0].Body); Add(pieces[1].Kind, pieces[1].Body); Add(QueueMessageKind.Continue, pieces[2].Body); break;
                case "over the limit": Add(pieces[0].Kind, pieces[0].Body, max: 299); break;
                case "begin holds everything": Add(QueueMessageKind.Begin, frame); break;
                case "begin shorter than a header": Add(QueueMessageKind.Begin, new byte[FrameHeader.Size - 1]); break;
            }
        });
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Envelopes_round_trip_and_bad_ones_are_refused()
    {
        var message = new byte[QueueMessage.HeaderSize + QueueMessage.ConnectBodySize];
        Assert.Equal(message.Length, QueueMessage.WriteConnect(message, 1234, 56));
        Assert.True(QueueMessage.TryReadHeader(message, out uint connection, out QueueMessageKind kind));
        Assert.Equal((0u, QueueMessageKind.Connect), (connection, kind));
        Assert.True(QueueMessage.TryReadConnect(message.AsSpan(QueueMessage.HeaderSize), out int pid, out uint sequence));
        Assert.Equal((1234, 56u), (pid, sequence));

        var accept = new byte[QueueMessage.HeaderSize + QueueMessage.AcceptBodySize];
        QueueMessage.WriteAccept(accept, 77, 4321);
        Assert.True(QueueMessage.TryReadHeader(accept, out connection, out kind));
        Assert.Equal((77u, QueueMessageKind.Accept), (connection, kind));
        Assert.True(QueueMessage.TryReadAccept(accept.AsSpan(QueueMessage.HeaderSize), out int serverPid));
        Assert.Equal(4321, serverPid);

        Assert.False(QueueMessage.TryReadHeader(new byte[7], out _, out _));
        byte[] badKind = (byte[])message.Clone();
        badKind[4] = 99;
        Assert.False(QueueMessage.TryReadHeader(badKind, out _, out _));
        byte[] badPadding = (byte[])message.Clone();
        badPadding[6] = 1;
        Assert.False(QueueMessage.TryReadHeader(badPadding, out _, out _));
        Assert.False(QueueMessage.TryReadConnect(new byte[3], out _, out _));
        Assert.False(QueueMessage.TryReadAccept(new byte[QueueMessage.AcceptBodySize], out _)); // pid 0
    }

    [Fact]
    public void A_completed_frame_must_be_exactly_as_long_as_its_header_says()
    {
        using var reassembler = new FrameReassembler();
        byte[] frame = Frame(10, priority: 4);
        Assert.True(reassembler.TryAddFrame(QueueMessageKind.Whole, frame, 100, out FrameHeader header, out ReadOnlySpan<byte> payload));
        Assert.Equal((10u, (byte)4), (header.PayloadLength, header.Priority));
        Assert.True(payload.SequenceEqual(frame.AsSpan(FrameHeader.Size)));

        var longer = new byte[frame.Length + 3];
        frame.CopyTo(longer, 0);
        Assert.Contains("3 bytes follow the frame", Assert.Throws<IpcProtocolException>(() => reassembler.TryAddFrame(QueueMessageKind.Whole, longer, 100, out _, out _)).Message);
        Assert.Contains("in the middle of a frame", Assert.Throws<IpcProtocolException>(() => reassembler.TryAddFrame(QueueMessageKind.Whole, frame.AsSpan(0, frame.Length - 1).ToArray(), 100, out _, out _)).Message);
        Assert.Contains("in the middle of a frame", Assert.Throws<IpcProtocolException>(() => reassembler.TryAddFrame(QueueMessageKind.Whole, new byte[5], 100, out _, out _)).Message);
        Assert.Throws<IpcProtocolException>(() => reassembler.TryAddFrame(QueueMessageKind.Whole, frame, 9, out _, out _)); // over the limit
    }

    [Fact]
    public void A_message_too_small_for_a_frame_header_is_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new FrameFragments(Frame(0), FrameHeader.Size - 1));
}
