using System.Net.Sockets;
using IpcGen.Tests.Contracts;
using IpcGen.Tests.Infrastructure;
using IpcGen.Transports;

namespace IpcGen.Tests.Transports;

/// <summary>A server that accepts the connection and then says nothing: the client's connect timeout must end it.</summary>
public sealed class SilentServerTests
{
    [Theory]
    [InlineData(IpcTransport.UnixSocket, ".sock", "did not answer the handshake")]
    [InlineData(IpcTransport.SharedMemory, ".shm.sock", "did not hand over its shared memory")]
    public void A_server_that_accepts_and_stays_silent_times_the_connect_out(IpcTransport transport, string suffix, string expected)
    {
        string endpoint = TestEnvironment.NewEndpoint();
        string path = EndpointPath.Resolve(endpoint, suffix, createDirectory: true);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            var ex = Assert.Throws<IpcTimeoutException>(() => ITestService.Connect(new IpcClientOptions
            {
                Endpoint = endpoint,
                Transport = transport,
                ConnectTimeout = TimeSpan.FromMilliseconds(300),
            }));
            Assert.Contains(expected, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
