using MessagePack;
using Microsoft.Extensions.Logging;

namespace IpcGen;

/// <summary>How a client connects and calls. Every property has a safe default.</summary>
public sealed class IpcClientOptions
{
    /// <summary>
    /// The endpoint to connect to: a name (resolved inside the runtime directory) or an absolute path.
    /// Defaults to the contract name, the server's default too.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>The transport; defaults to the one in the contract's <see cref="IpcServiceAttribute"/>.</summary>
    public IpcTransport? Transport { get; set; }

    /// <summary>How long to wait for the server to accept and complete the handshake. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one call may take before it fails with <see cref="IpcTimeoutException"/> and the server is
    /// told to cancel it. Default: no limit (<see cref="Timeout.InfiniteTimeSpan"/>); a call still fails at
    /// once if the server goes away.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>The largest payload this client sends or accepts, in bytes. Default 16 MiB.</summary>
    public int MaxMessageSize { get; set; } = IpcDefaults.MaxMessageSize;

    /// <summary>
    /// MessagePack options for arguments and results that are not unmanaged types. Default: the standard
    /// resolver with <see cref="MessagePackSecurity.UntrustedData"/>. Supply a source-generated resolver for
    /// NativeAOT.
    /// </summary>
    public MessagePackSerializerOptions? SerializerOptions { get; set; }

    /// <summary>How this side waits for data on <see cref="IpcTransport.SharedMemory"/>. Default <see cref="IpcWaitStrategy.Adaptive"/>.</summary>
    public IpcWaitStrategy WaitStrategy { get; set; } = IpcWaitStrategy.Adaptive;

    /// <summary>Where the client logs connection events. Default: nowhere.</summary>
    public ILogger? Logger { get; set; }
}
