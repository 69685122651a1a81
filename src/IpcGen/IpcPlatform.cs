namespace IpcGen;

/// <summary>IpcGen speaks Linux IPC mechanisms only.</summary>
internal static class IpcPlatform
{
    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("IpcGen runs on Linux only: its transports are Linux IPC mechanisms.");
        }
    }
}
