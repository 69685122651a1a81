using MessagePack;

namespace IpcGen;

/// <summary>Defaults shared by clients and servers.</summary>
internal static class IpcDefaults
{
    public const int MaxMessageSize = 16 * 1024 * 1024;

    /// <summary>Standard resolvers, hardened for data from a peer that is not trusted.</summary>
    public static readonly MessagePackSerializerOptions SerializerOptions =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public static void Validate(int maxMessageSize, string paramName)
    {
        if (maxMessageSize < 1024)
        {
            throw new ArgumentOutOfRangeException(paramName, maxMessageSize, "MaxMessageSize must be at least 1024 bytes.");
        }
    }
}
