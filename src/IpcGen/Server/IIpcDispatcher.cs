using System.ComponentModel;

namespace IpcGen.Runtime;

/// <summary>
/// Routes a request to the service implementation by method id. Generated for each contract as
/// <c>IFoo.IpcDispatcher</c>; application code does not implement it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IIpcDispatcher
{
    /// <summary>The contract name on the wire.</summary>
    string ContractName { get; }

    /// <summary>The contract fingerprint the client must present.</summary>
    ulong ContractFingerprint { get; }

    /// <summary>
    /// Reads the arguments from <paramref name="call"/>, invokes the service and writes the result.
    /// Throws <see cref="IpcServerCall.UnknownMethod"/>'s exception for an id it does not know.
    /// </summary>
    ValueTask DispatchAsync(IpcServerCall call);
}
