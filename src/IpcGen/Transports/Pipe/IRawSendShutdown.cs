namespace IpcGen.Transports.Pipe;

/// <summary>
/// A channel whose sending direction can be closed alone, as a half-closed socket is: the peer then sees
/// end of input while this side may still read. Used by tests that play a misbehaving client.
/// </summary>
internal interface IRawSendShutdown
{
    void ShutdownSend();
}
