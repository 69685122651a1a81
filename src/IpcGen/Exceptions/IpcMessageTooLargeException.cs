namespace IpcGen;

/// <summary>A call's arguments or result encode to more bytes than the configured maximum message size.</summary>
public sealed class IpcMessageTooLargeException : IpcException
{
    /// <summary>Creates the exception for a message size and the limit it exceeds.</summary>
    public IpcMessageTooLargeException(long size, int maxMessageSize)
        : base($"The message is {size} bytes, over the maximum message size of {maxMessageSize} bytes. Raise MaxMessageSize on both sides or send less.")
    {
        Size = size;
        MaxMessageSize = maxMessageSize;
    }

    /// <summary>The size the message reached.</summary>
    public long Size { get; }

    /// <summary>The limit in force.</summary>
    public int MaxMessageSize { get; }
}
