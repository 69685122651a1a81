namespace IpcGen;

/// <summary>
/// Decides which processes may connect to a server, from the uid and gid the kernel reports for the
/// peer (<c>SO_PEERCRED</c>), so a client cannot lie about them.
/// </summary>
public sealed class IpcAuthorizationPolicy
{
    private readonly uint[] _userIds;
    private readonly uint[] _groupIds;
    private readonly bool _sameUser;
    private readonly Func<PeerCredentials, bool>? _predicate;

    private IpcAuthorizationPolicy(bool sameUser, uint[] userIds, uint[] groupIds, Func<PeerCredentials, bool>? predicate = null)
    {
        _sameUser = sameUser;
        _userIds = userIds;
        _groupIds = groupIds;
        _predicate = predicate;
    }

    /// <summary>Admits only processes running as the server's own user. The default.</summary>
    public static IpcAuthorizationPolicy SameUser { get; } = new(true, Array.Empty<uint>(), Array.Empty<uint>());

    /// <summary>Admits the server's own user and the listed user ids.</summary>
    public static IpcAuthorizationPolicy AllowUsers(params uint[] userIds)
        => new(true, (uint[])userIds.Clone(), Array.Empty<uint>());

    /// <summary>Admits the server's own user and processes whose effective group is one of the listed ids.</summary>
    public static IpcAuthorizationPolicy AllowGroups(params uint[] groupIds)
        => new(true, Array.Empty<uint>(), (uint[])groupIds.Clone());

    /// <summary>Admits the server's own user plus the listed users and groups.</summary>
    public static IpcAuthorizationPolicy Allow(IEnumerable<uint> userIds, IEnumerable<uint> groupIds)
        => new(true, userIds.ToArray(), groupIds.ToArray());

    /// <summary>
    /// Admits exactly the peers for which <paramref name="predicate"/> returns true (the server's own user
    /// included only if the predicate says so). The predicate runs once per connection, on its thread.
    /// </summary>
    public static IpcAuthorizationPolicy Custom(Func<PeerCredentials, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new(false, Array.Empty<uint>(), Array.Empty<uint>(), predicate);
    }

    /// <summary>The user ids admitted besides the server's own.</summary>
    public IReadOnlyList<uint> UserIds => _userIds;

    /// <summary>The group ids admitted.</summary>
    public IReadOnlyList<uint> GroupIds => _groupIds;

    /// <summary>Whether a peer with these credentials may connect.</summary>
    public bool IsAllowed(PeerCredentials peer)
        => _predicate is not null
            ? _predicate(peer)
            : (_sameUser && peer.UserId == Transports.RuntimeDirectory.CurrentUserId)
              || Array.IndexOf(_userIds, peer.UserId) >= 0
              || Array.IndexOf(_groupIds, peer.GroupId) >= 0;
}
