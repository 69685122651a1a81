using System.Runtime.InteropServices;
using IpcGen.Protocol;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports;

/// <summary>
/// One connection's frame pipe, whatever the mechanism underneath. Sends are serialized by the
/// channel; one thread at a time receives (a client's threads take turns through the receiver role,
/// <see cref="TryEnterReceiver"/>). The payload a receive returns is valid until the next receive.
/// <see cref="Dispose"/> may run while another thread sends under the send lock (it waits for it or makes
/// it fail), but not while one receives, nor while a thread sends with <see cref="SendAsOnlySender"/>:
/// whoever owns the receiving thread disposes after it has stopped (the server's connection thread, the
/// only one that sends without the lock, disposes its own channel; a client takes the reader role first).
/// </summary>
internal abstract class FrameChannel : IDisposable
{
    private readonly ChannelLock _channelLock = new();
    private int _sendFailed;

    /// <summary>The kernel-reported identity of the process at the other end.</summary>
    public abstract PeerCredentials Peer { get; }

    /// <summary>Sends one complete frame; safe to call from several threads at once.</summary>
    public void Send(ReadOnlySpan<byte> frame) => Send(frame, default);

    /// <summary>
    /// Whether file descriptors can travel with a frame (<c>SCM_RIGHTS</c>). Only a Unix socket can; on other
    /// transports a shared region goes by name.
    /// </summary>
    public virtual bool CanPassDescriptors => false;

    /// <summary>Sends one complete frame with <paramref name="descriptors"/> attached (see <see cref="CanPassDescriptors"/>).</summary>
    public void Send(ReadOnlySpan<byte> frame, ReadOnlySpan<SafeHandle> descriptors)
    {
        if (!descriptors.IsEmpty && !CanPassDescriptors)
        {
            throw new InvalidOperationException("This transport cannot pass file descriptors.");
        }
        _channelLock.Enter();
        try
        {
            SendHeld(frame, descriptors);
        }
        finally
        {
            _channelLock.Exit();
        }
    }

    /// <summary>Sends with the sender role held, or by the only possible sender: fails at once after a failed send, and makes a failure final.</summary>
    private void SendHeld(ReadOnlySpan<byte> frame, ReadOnlySpan<SafeHandle> descriptors)
    {
        if (_sendFailed != 0)
        {
            throw new IpcDisconnectedException("The connection is closed.");
        }
        try
        {
            if (descriptors.IsEmpty)
            {
                SendCore(frame);
            }
            else
            {
                SendCore(frame, descriptors);
            }
        }
        catch (Exception ex) when (ex is not IpcException or IpcProtocolException)
        {
            throw SendFailed(ex);
        }
    }

    /// <summary>
    /// Sends one complete frame without taking the sender role, for a caller that knows no other thread can
    /// send on this channel meanwhile: a server connection's thread while none of its calls is completing on
    /// another thread. Spares the lock's two atomic instructions on the way of every synchronous answer.
    /// </summary>
    public void SendAsOnlySender(ReadOnlySpan<byte> frame) => SendHeld(frame, default);

    /// <summary>
    /// A send that failed for good: the peer is gone, or broke the protocol where sending reads what it
    /// shares (a shared-memory ring's consumer position). Later sends fail at once; the caller closes the connection.
    /// </summary>
    private IpcDisconnectedException SendFailed(Exception ex)
    {
        _sendFailed = 1;
        return ex is IpcProtocolException
            ? new IpcDisconnectedException($"The connection was closed: the peer broke the protocol ({ex.Message}).", ex)
            : new IpcDisconnectedException("The peer is gone: sending failed.", ex);
    }

    /// <summary>Whether <see cref="SendWithoutWaitingHeld"/> can ever send (a shared-memory ring).</summary>
    public virtual bool CanSendWithoutWaiting => false;

    /// <summary>
    /// Takes the receiver role and the sender role together, with one atomic instruction, if both are free
    /// and this channel can send without waiting (<see cref="CanSendWithoutWaiting"/>). A synchronous
    /// caller that reads its own answer does so: it then sends with <see cref="SendWithoutWaitingHeld"/>,
    /// lets the sender role go with <see cref="ExitSender"/> and, once its answer is in, the receiver role
    /// with <see cref="ExitReceiver"/>.
    /// </summary>
    public bool TryEnterReceiverAndSender() => CanSendWithoutWaiting && _channelLock.TryEnterBoth();

    /// <summary>
    /// With the sender role held: sends one complete frame if the transport takes it at once; false, sending
    /// nothing, otherwise. Never waits: a thread that holds the receiver role must not wait for space, since
    /// it is the one that would read the answers the peer may be blocked on.
    /// </summary>
    public bool SendWithoutWaitingHeld(ReadOnlySpan<byte> frame)
    {
        if (_sendFailed != 0)
        {
            throw new IpcDisconnectedException("The connection is closed.");
        }
        try
        {
            return TrySendWithoutWaitingCore(frame);
        }
        catch (Exception ex) when (ex is not IpcException or IpcProtocolException)
        {
            throw SendFailed(ex);
        }
    }

    /// <summary>Lets the sender role taken by <see cref="TryEnterReceiverAndSender"/> go.</summary>
    public void ExitSender() => _channelLock.Exit();

    /// <summary>Takes the receiver role (one thread at a time receives) if no thread holds it; never waits.</summary>
    public bool TryEnterReceiver() => _channelLock.TryEnterReceiver();

    /// <summary>Lets the receiver role go; a full fence, so a look at shared state after it sees what others did before.</summary>
    public void ExitReceiver() => _channelLock.ExitReceiver();

    /// <summary>Whether a thread holds the receiver role.</summary>
    public bool ReceiverTaken => _channelLock.ReceiverTaken;

    /// <summary>
    /// Waits for the sender inside (if any) to leave and makes every later send fail: from here on no thread
    /// is in <see cref="SendCore(ReadOnlySpan{byte})"/>. For a channel that must not
    /// free its memory under a sender; blocked senders must have been woken (see <see cref="Shutdown"/>) first.
    /// </summary>
    protected void StopSenders()
    {
        _channelLock.Enter();
        _sendFailed = 1;
        _channelLock.Exit();
    }

    /// <summary>Sends the frame if the transport takes it at once; only channels whose <see cref="CanSendWithoutWaiting"/> is true override it.</summary>
    protected virtual bool TrySendWithoutWaitingCore(ReadOnlySpan<byte> frame) => false;

    /// <summary>
    /// Takes the next descriptor received with the frame just returned by <see cref="TryReceive"/>, in the
    /// order the sender attached them; the caller owns it. A frame that announces more descriptors than
    /// arrived, or a transport that cannot carry any, is a protocol violation.
    /// </summary>
    public virtual SafeFileHandle TakeReceivedDescriptor()
        => throw ThrowHelper.Protocol("a frame announced file descriptors, which this transport cannot carry");

    /// <summary>Sends a frame that is only a header (cancel, ping, pong, close).</summary>
    public void SendControl(FrameKind kind, uint callId)
    {
        Span<byte> frame = stackalloc byte[FrameHeader.Size];
        new FrameHeader(0, kind, 0, 0, callId).Write(frame);
        Send(frame);
    }

    /// <summary>
    /// Blocks until the next frame has arrived. Returns false when the peer closed the connection.
    /// Throws <see cref="IpcProtocolException"/> for a malformed frame.
    /// </summary>
    public abstract bool TryReceive(int maxPayloadLength, out FrameHeader header, out ReadOnlySpan<byte> payload);

    /// <summary>
    /// Whether the payload the last <see cref="TryReceive"/> returned lies in place in native memory (a
    /// shared-memory ring), which does not move and stays valid until the next receive or
    /// <see cref="ReleaseReceived"/>; false for a payload in a managed buffer (which the garbage collector may move).
    /// </summary>
    public virtual bool ReceivedInPlace => false;

    /// <summary>
    /// Says the payload last received is no longer needed, so an in-place transport can give its space back
    /// now rather than at the next receive. Called by the receiving thread; harmless when nothing is held.
    /// A receiver calls it before it lets go of the channel: Dispose waits for a held payload to be released.
    /// </summary>
    public virtual void ReleaseReceived()
    {
    }

    /// <summary>Makes a blocked <see cref="TryReceive"/> return and later sends fail.</summary>
    public abstract void Shutdown();

    /// <summary>
    /// Bounds how long a receive may block (handshake only); infinite when null. A receive that runs
    /// out of time throws <see cref="TimeoutException"/>, whatever the mechanism.
    /// </summary>
    public abstract void SetReceiveTimeout(TimeSpan? timeout);

    protected abstract void SendCore(ReadOnlySpan<byte> frame);

    /// <summary>Sends a frame with descriptors attached; only channels whose <see cref="CanPassDescriptors"/> is true override it.</summary>
    protected virtual void SendCore(ReadOnlySpan<byte> frame, ReadOnlySpan<SafeHandle> descriptors)
        => throw new InvalidOperationException("This transport cannot pass file descriptors.");

    public abstract void Dispose();
}
