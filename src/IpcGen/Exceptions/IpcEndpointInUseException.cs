namespace IpcGen;

/// <summary>Another live server already serves this endpoint.</summary>
public sealed class IpcEndpointInUseException : IpcException
{
    /// <summary>Creates the exception for an endpoint path.</summary>
    public IpcEndpointInUseException(string endpoint)
        : base($"Another live server already serves the endpoint '{endpoint}'. Stop it or choose another endpoint name.")
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint's path.</summary>
    public string Endpoint { get; }
}
