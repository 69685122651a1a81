using IpcGen.Transports.UnixSocket;

namespace IpcGen.Transports;

/// <summary>
/// The one place that maps an <see cref="IpcTransport"/> to its listener and connector. A transport
/// is a <see cref="ConnectionListener"/> (server side) plus a connect function returning a
/// <see cref="FrameChannel"/> (client side); everything above them is transport-neutral.
/// </summary>
internal static class TransportFactory
{
    public static ConnectionListener Listen(IpcTransport transport, string endpoint, IpcServerOptions options) => transport switch
    {
        IpcTransport.UnixSocket => UnixSocketListener.Bind(endpoint),
        IpcTransport.SharedMemory => SharedMemory.SharedMemoryListener.Bind(endpoint, options),
        IpcTransport.Pipe => Pipe.FifoListener.Bind(endpoint),
        IpcTransport.MessageQueue => MessageQueue.MqListener.Bind(endpoint, options),
        IpcTransport.SystemVMessageQueue => SystemV.SysVListener.Bind(endpoint),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "Unknown transport."),
    };

    public static ValueTask<FrameChannel> ConnectAsync(IpcTransport transport, string endpoint, IpcClientOptions options, CancellationToken cancellationToken) => transport switch
    {
        IpcTransport.UnixSocket => UnixSocketConnector.ConnectAsync(endpoint, options.ConnectTimeout, cancellationToken),
        IpcTransport.SharedMemory => SharedMemory.SharedMemoryConnector.ConnectAsync(endpoint, options, cancellationToken),
        IpcTransport.Pipe => Pipe.FifoConnector.ConnectAsync(endpoint, options.ConnectTimeout, cancellationToken),
        IpcTransport.MessageQueue => MessageQueue.MqConnector.ConnectAsync(endpoint, options.ConnectTimeout, cancellationToken),
        IpcTransport.SystemVMessageQueue => SystemV.SysVConnector.ConnectAsync(endpoint, options.ConnectTimeout, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "Unknown transport."),
    };
}
