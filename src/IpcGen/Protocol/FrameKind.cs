namespace IpcGen.Protocol;

/// <summary>What a frame carries. The numbering is part of the wire format (docs/protocol.md).</summary>
internal enum FrameKind : byte
{
    Handshake = 1,
    HandshakeAck = 2,
    HandshakeRefuse = 3,
    Request = 4,
    OneWay = 5,
    Response = 6,
    Error = 7,
    Cancel = 8,
    Ping = 9,
    Pong = 10,
    Close = 11,
}
