namespace IpcGen;

/// <summary>
/// Gives a contract method's calls a priority from 0 (the default, bulk) to 31 (most urgent). On the
/// <see cref="IpcTransport.MessageQueue"/> transport it is the POSIX message priority of the request and of
/// its response, so an urgent call overtakes bulk calls still waiting in the queue. The other transports
/// deliver frames in the order they were sent and carry the value without acting on it.
/// </summary>
/// <remarks>
/// A frame too large for one queue message travels in fragments at priority 0, so only calls whose
/// request fits in one message overtake. The value is part of the frame header (<c>flags</c>), not of
/// the contract fingerprint: changing it never breaks a deployed peer.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class IpcPriorityAttribute : Attribute
{
    /// <summary>The highest priority (POSIX guarantees at least 32 levels).</summary>
    public const int MaxPriority = 31;

    /// <param name="priority">0 (bulk, the default) to <see cref="MaxPriority"/> (most urgent).</param>
    public IpcPriorityAttribute(int priority) => Priority = priority;

    /// <summary>0 (bulk) to <see cref="MaxPriority"/> (most urgent).</summary>
    public int Priority { get; }
}
