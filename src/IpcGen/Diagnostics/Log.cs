using Microsoft.Extensions.Logging;

namespace IpcGen.Diagnostics;

/// <summary>Every log event IpcGen writes, with fixed event ids (documented in README.md).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Serving contract {Contract} on {Endpoint}")]
    public static partial void ServerStarted(ILogger logger, string contract, string endpoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Stopped serving {Endpoint}")]
    public static partial void ServerStopped(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Connection {ConnectionId} opened by pid {Pid} uid {Uid} gid {Gid}")]
    public static partial void ConnectionOpened(ILogger logger, long connectionId, int pid, uint uid, uint gid);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from pid {Pid} uid {Uid} gid {Gid} refused: the authorization policy does not admit it")]
    public static partial void Unauthorized(ILogger logger, long connectionId, int pid, uint uid, uint gid);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from pid {Pid} refused: client contract {ClientContract} 0x{ClientFingerprint:X16}, server contract {ServerContract} 0x{ServerFingerprint:X16}")]
    public static partial void ContractMismatch(ILogger logger, long connectionId, int pid, string clientContract, ulong clientFingerprint, string serverContract, ulong serverFingerprint);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from pid {Pid} closed: protocol violation: {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, long connectionId, int pid, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "One-way call to method 0x{MethodId:X8} on connection {ConnectionId} failed")]
    public static partial void OneWayFailed(ILogger logger, Exception exception, uint methodId, long connectionId);

    [LoggerMessage(EventId = 9, Level = LogLevel.Error, Message = "Connection {ConnectionId} failed unexpectedly")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, long connectionId);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Connection from pid {Pid} refused: {MaxConnections} connections are open already")]
    public static partial void ServerFull(ILogger logger, int pid, int maxConnections);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Client connection to {Endpoint} lost: {Reason}")]
    public static partial void ClientDisconnected(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Request queue {Queue} dropped a {Length}-byte message for connection {ConnectionId}: no such connection (closed already, or forged)")]
    public static partial void QueueMessageDropped(ILogger logger, string queue, uint connectionId, int length);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Request queue {Queue} ignored a message on the connect channel: {Reason}")]
    public static partial void QueueConnectIgnored(ILogger logger, string queue, string reason);
}
