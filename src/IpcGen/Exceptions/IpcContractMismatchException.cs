namespace IpcGen;

/// <summary>
/// The server serves a different contract, or a different version of the same contract, than the
/// client was compiled against. Raised when connecting, never as a garbled call later.
/// </summary>
public sealed class IpcContractMismatchException : IpcException
{
    /// <summary>Creates the exception from both sides' contract identities.</summary>
    public IpcContractMismatchException(string clientContract, ulong clientFingerprint, string serverContract, ulong serverFingerprint)
        : base($"Contract mismatch: the client speaks '{clientContract}' (fingerprint 0x{clientFingerprint:X16}) " +
               $"but the server serves '{serverContract}' (fingerprint 0x{serverFingerprint:X16}). " +
               "Rebuild both sides against the same interface.")
    {
        ClientContract = clientContract;
        ClientFingerprint = clientFingerprint;
        ServerContract = serverContract;
        ServerFingerprint = serverFingerprint;
    }

    /// <summary>The contract name the client was compiled against.</summary>
    public string ClientContract { get; }

    /// <summary>The client's contract fingerprint.</summary>
    public ulong ClientFingerprint { get; }

    /// <summary>The contract name the server serves.</summary>
    public string ServerContract { get; }

    /// <summary>The server's contract fingerprint.</summary>
    public ulong ServerFingerprint { get; }
}
