using IpcGen.Diagnostics;
using IpcGen.Runtime;
using IpcGen.Transports;
using MessagePack;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcGen;

/// <summary>
/// Serves one contract on one endpoint until disposed. Created by a generated <c>IFoo.Serve</c>.
/// Each client gets its own connection; a client that misbehaves loses its connection, never the server.
/// Disposing stops accepting, closes every connection and removes the endpoint's files.
/// </summary>
public sealed class IpcServer : IDisposable, IAsyncDisposable
{
    private readonly IIpcDispatcher _dispatcher;
    private readonly ConnectionListener _listener;
    private readonly Thread _acceptThread;
    private readonly HashSet<IpcServerConnection> _connections = new();
    private readonly object _connectionsLock = new();
    private long _nextConnectionId;
    private int _disposed;

    private IpcServer(IIpcDispatcher dispatcher, ConnectionListener listener, IpcServerOptions options)
    {
        _dispatcher = dispatcher;
        _listener = listener;
        Options = options;
        Logger = options.Logger ?? NullLogger.Instance;
        SerializerOptions = options.SerializerOptions ?? IpcDefaults.SerializerOptions;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = $"IpcGen accept {dispatcher.ContractName}" };
    }

    internal IpcServerOptions Options { get; }
    internal ILogger Logger { get; }
    internal MessagePackSerializerOptions SerializerOptions { get; }
    internal IIpcDispatcher Dispatcher => _dispatcher;
    internal ConnectionListener Listener => _listener;

    /// <summary>The endpoint clients connect to (for <see cref="IpcTransport.UnixSocket"/>, the socket's path).</summary>
    public string Endpoint => _listener.Endpoint;

    /// <summary>The contract served.</summary>
    public string ContractName => _dispatcher.ContractName;

    /// <summary>How many clients are connected now.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_connectionsLock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>
    /// Binds the endpoint and starts accepting clients. Throws <see cref="IpcEndpointInUseException"/> if a
    /// live server already serves it; reclaims the files a crashed server left behind.
    /// </summary>
    public static IpcServer Start(IIpcDispatcher dispatcher, IpcTransport defaultTransport, IpcServerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        IpcPlatform.EnsureSupported();
        options ??= new IpcServerOptions();
        IpcDefaults.Validate(options.MaxMessageSize, nameof(options.MaxMessageSize));
        ArgumentNullException.ThrowIfNull(options.Authorization, nameof(options.Authorization));
        string endpoint = options.Endpoint ?? dispatcher.ContractName;
        IpcTransport transport = options.Transport ?? defaultTransport;
        return Start(dispatcher, TransportFactory.Listen(transport, endpoint, options), options);
    }

    /// <summary>Serves on a listener made by the caller (a worker's inherited pipes); options are validated.</summary>
    internal static IpcServer Start(IIpcDispatcher dispatcher, ConnectionListener listener, IpcServerOptions options)
    {
        var server = new IpcServer(dispatcher, listener, options);
        server._acceptThread.Start();
        Log.ServerStarted(server.Logger, dispatcher.ContractName, listener.Endpoint);
        return server;
    }

    private void AcceptLoop()
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            FrameChannel? channel;
            try
            {
                channel = _listener.Accept();
            }
            catch (Exception ex)
            {
                Log.ConnectionFailed(Logger, ex, 0);
                Thread.Sleep(10); // e.g. out of file descriptors: do not spin
                continue;
            }
            if (channel is null)
            {
                return;
            }
            var connection = new IpcServerConnection(this, channel, Interlocked.Increment(ref _nextConnectionId));
            bool full;
            lock (_connectionsLock)
            {
                full = _connections.Count >= Options.MaxConnections || Volatile.Read(ref _disposed) != 0;
                if (!full)
                {
                    _connections.Add(connection);
                }
            }
            connection.Start(refuseAsFull: full);
        }
    }

    internal void Remove(IpcServerConnection connection)
    {
        lock (_connectionsLock)
        {
            _connections.Remove(connection);
        }
    }

    /// <summary>Stops accepting, closes every connection (their calls are cancelled) and removes the endpoint.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _listener.Dispose();
        _acceptThread.Join(TimeSpan.FromSeconds(5));
        IpcServerConnection[] open;
        lock (_connectionsLock)
        {
            open = _connections.ToArray();
        }
        foreach (IpcServerConnection connection in open)
        {
            connection.Close();
        }
        foreach (IpcServerConnection connection in open)
        {
            connection.Join(TimeSpan.FromSeconds(5));
        }
        Log.ServerStopped(Logger, _listener.Endpoint);
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }
}
