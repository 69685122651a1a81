using System.ComponentModel;
using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>Turns the last errno into an exception that names the call and the object.</summary>
    internal static IpcException LastError(string operation, string? subject = null)
    {
        int errno = Marshal.GetLastPInvokeError();
        string what = subject is null ? operation : $"{operation} '{subject}'";
        return new IpcException($"{what} failed: {new Win32Exception(errno).Message} (errno {errno})");
    }
}
