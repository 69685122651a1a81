namespace IpcGen;

/// <summary>
/// Marks a <c>partial</c> interface as an IPC contract. At compile time IpcGen generates a client proxy
/// (<c>IFoo.Connect</c>), a server dispatcher (<c>IFoo.Serve</c>) and a contract fingerprint for it.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class IpcServiceAttribute : Attribute
{
    /// <summary>The transport used when the client or server options do not choose one.</summary>
    public IpcTransport Transport { get; set; } = IpcTransport.UnixSocket;

    /// <summary>
    /// The contract name on the wire and the default endpoint name. Defaults to the interface's full
    /// name (namespace, containing types and interface name, dot-separated).
    /// </summary>
    public string? Name { get; set; }
}
