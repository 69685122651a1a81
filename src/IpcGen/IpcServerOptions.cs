using MessagePack;
using Microsoft.Extensions.Logging;

namespace IpcGen;

/// <summary>How a server listens, whom it admits and what it accepts. Every property has a safe default.</summary>
public sealed class IpcServerOptions
{
    /// <summary>
    /// The endpoint to serve: a name (resolved inside the runtime directory) or an absolute path.
    /// Defaults to the contract name.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>The transport; defaults to the one in the contract's <see cref="IpcServiceAttribute"/>.</summary>
    public IpcTransport? Transport { get; set; }

    /// <summary>
    /// Who may connect, judged by the kernel-reported uid/gid of the peer. Default:
    /// <see cref="IpcAuthorizationPolicy.SameUser"/>.
    /// </summary>
    public IpcAuthorizationPolicy Authorization { get; set; } = IpcAuthorizationPolicy.SameUser;

    /// <summary>The largest payload the server accepts or sends, in bytes. Default 16 MiB.</summary>
    public int MaxMessageSize { get; set; } = IpcDefaults.MaxMessageSize;

    /// <summary>How many clients may be connected at once. Default 256.</summary>
    public int MaxConnections { get; set; } = 256;

    /// <summary>How long a new connection has to send its handshake. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether error frames carry the service's stack trace. Default true.</summary>
    public bool IncludeExceptionStackTrace { get; set; } = true;

    /// <summary>MessagePack options for arguments and results; see <see cref="IpcClientOptions.SerializerOptions"/>.</summary>
    public MessagePackSerializerOptions? SerializerOptions { get; set; }

    /// <summary>How this side waits for data on <see cref="IpcTransport.SharedMemory"/>. Default <see cref="IpcWaitStrategy.Adaptive"/>.</summary>
    public IpcWaitStrategy WaitStrategy { get; set; } = IpcWaitStrategy.Adaptive;

    /// <summary>
    /// Bytes in each of a shared-memory connection's two rings: a power of two from 4 KiB to 64 MiB.
    /// Default 256 KiB. Messages larger than the ring stream through it in pieces.
    /// </summary>
    public int SharedMemoryRingSize { get; set; } = 256 * 1024;

    /// <summary>Where the server logs connections, refusals and closed connections with their reasons.</summary>
    public ILogger? Logger { get; set; }
}
