namespace IpcGen;

/// <summary>The identity of the process at the other end of a connection, as the kernel reports it.</summary>
/// <param name="ProcessId">The peer's process id.</param>
/// <param name="UserId">The peer's effective user id.</param>
/// <param name="GroupId">The peer's effective group id.</param>
public readonly record struct PeerCredentials(int ProcessId, uint UserId, uint GroupId);
