namespace IpcGen;

/// <summary>
/// Who is calling: available to a service method through <see cref="Current"/> while it handles a
/// call (also after an <c>await</c>, since it flows with the execution context).
/// </summary>
public sealed class IpcCallContext
{
    private static readonly AsyncLocal<IpcCallContext?> s_current = new();

    internal IpcCallContext(long connectionId, PeerCredentials peer, string endpoint)
    {
        ConnectionId = connectionId;
        Peer = peer;
        Endpoint = endpoint;
    }

    /// <summary>The context of the call being handled, or null outside a service call.</summary>
    public static IpcCallContext? Current => s_current.Value;

    /// <summary>The caller's process id, user id and group id, as the kernel reported them.</summary>
    public PeerCredentials Peer { get; }

    /// <summary>A number identifying the connection within this server.</summary>
    public long ConnectionId { get; }

    /// <summary>The endpoint the server listens on.</summary>
    public string Endpoint { get; }

    // Set once per connection, on its receive thread: every call on the connection, and every
    // continuation it captures, sees it without a per-call allocation.
    internal static void SetForCurrentConnection(IpcCallContext context) => s_current.Value = context;
}
