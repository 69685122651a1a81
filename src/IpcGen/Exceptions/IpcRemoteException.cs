namespace IpcGen;

/// <summary>The service threw an exception while handling the call.</summary>
public sealed class IpcRemoteException : IpcException
{
    /// <summary>Creates the exception from what the server reported.</summary>
    public IpcRemoteException(string remoteTypeName, string remoteMessage, string? remoteStackTrace)
        : base($"The service threw {remoteTypeName}: {remoteMessage}")
    {
        RemoteTypeName = remoteTypeName;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception type thrown in the server process.</summary>
    public string RemoteTypeName { get; }

    /// <summary>The message of the exception thrown in the server process.</summary>
    public string RemoteMessage { get; }

    /// <summary>The stack trace in the server process, when the server sends it.</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString()
        => RemoteStackTrace is null
            ? base.ToString()
            : $"{base.ToString()}{Environment.NewLine}--- Remote stack trace ---{Environment.NewLine}{RemoteStackTrace}";
}
