namespace IpcGen.Tests.Infrastructure;

/// <summary>Every transport the behaviour suite runs on. A new transport joins every test by being listed here.</summary>
public static class TestTransports
{
    public static TheoryData<IpcTransport> All => new() { IpcTransport.UnixSocket, IpcTransport.SharedMemory, IpcTransport.Pipe, IpcTransport.MessageQueue, IpcTransport.SystemVMessageQueue };
}
