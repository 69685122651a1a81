using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.MessageQueue;

/// <summary>
/// The server's side of one connection: replies go into the client's reply queue (opened write-only,
/// already unlinked), requests come from the shared request queue through the <see cref="MqRequestRouter"/>.
/// </summary>
internal sealed class MqServerChannel : MqChannel
{
    private readonly MqRequestRouter _router;
    private readonly MqParticipant _participant;

    /// <summary>Takes ownership of the reply queue descriptor and the client's pidfd; holds a router reference.</summary>
    public MqServerChannel(MqRequestRouter router, int replyMqd, int replyMessageSize, uint connection, SafeFileHandle clientPidfd, PeerCredentials client)
        : base(replyMqd, replyMessageSize, connection, clientPidfd, client)
    {
        _router = router;
        _participant = new MqParticipant(connection, WakeFd, PeerPidfd, router.MessageSize);
    }

    /// <summary>Starts routing this connection's messages to it; false if the id is taken or the router closed.</summary>
    public bool Attach()
    {
        if (!_router.AddRef())
        {
            return false;
        }
        if (!_router.Register(Connection, _participant))
        {
            _router.Release();
            return false;
        }
        _attached = true;
        return true;
    }

    private bool _attached;

    protected override bool NextMessage(out ReadOnlySpan<byte> message)
    {
        long deadline = ReceiveTimeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + ReceiveTimeoutMs;
        return _router.Next(_participant, deadline, out message);
    }

    public override void Shutdown()
    {
        _participant.Stopped = true;
        base.Shutdown();
    }

    protected override void WakeReceiver()
    {
        if (_attached)
        {
            _router.Wake(_participant);
        }
    }

    protected override void DisposeCore()
    {
        _participant.Stopped = true;
        if (_attached)
        {
            _router.Remove(Connection, _participant);
            _router.Release();
        }
    }
}
