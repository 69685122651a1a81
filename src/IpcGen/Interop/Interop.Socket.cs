using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcGen;

internal static partial class Interop
{
    /// <summary>Passing file descriptors over a Unix socket: sendmsg/recvmsg with SCM_RIGHTS.</summary>
    internal static unsafe partial class Socket
    {
        private const int SOL_SOCKET = 1;
        private const int SCM_RIGHTS = 1;
        private const int MSG_CMSG_CLOEXEC = 0x40000000;
        private const int EINTR = 4;
        private const int EAGAIN = 11;

        [StructLayout(LayoutKind.Sequential)]
        private struct IoVec
        {
            public void* Base;
            public nuint Length;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct MsgHdr
        {
            public void* Name;
            public uint NameLength;
            public IoVec* Iov;
            public nuint IovLength;
            public void* Control;
            public nuint ControlLength;
            public int Flags;
        }

        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by the fds.
        private const int CmsgHeaderSize = 16;
        private const int ControlSize = CmsgHeaderSize + 8; // CMSG_SPACE(sizeof(int)) on x86_64

        [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
        private static partial nint SendMsg(nint socket, MsgHdr* message, int flags);

        [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
        private static partial nint RecvMsg(nint socket, MsgHdr* message, int flags);

        /// <summary>Sends <paramref name="data"/> (at least one byte) with one file descriptor attached.</summary>
        public static void SendWithDescriptor(System.Net.Sockets.Socket socket, ReadOnlySpan<byte> data, SafeHandle descriptor)
        {
            bool added = false;
            descriptor.DangerousAddRef(ref added);
            try
            {
                byte* control = stackalloc byte[ControlSize];
                new Span<byte>(control, ControlSize).Clear();
                *(ulong*)control = CmsgHeaderSize + sizeof(int);
                *(int*)(control + 8) = SOL_SOCKET;
                *(int*)(control + 12) = SCM_RIGHTS;
                *(int*)(control + CmsgHeaderSize) = (int)descriptor.DangerousGetHandle();
                fixed (byte* bytes = data)
                {
                    var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
                    var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSize };
                    nint sent;
                    do
                    {
                        sent = SendMsg(socket.Handle, &message, 0);
                    }
                    while (sent < 0 && Marshal.GetLastPInvokeError() == EINTR);
                    if (sent != data.Length)
                    {
                        throw LastError("sendmsg(SCM_RIGHTS)");
                    }
                }
            }
            finally
            {
                if (added)
                {
                    descriptor.DangerousRelease();
                }
            }
        }

        /// <summary>
        /// Receives exactly <paramref name="data"/>.Length bytes and the one descriptor sent with them
        /// (close-on-exec). Throws if the peer closed, sent no descriptor, or sent more than one.
        /// </summary>
        public static Microsoft.Win32.SafeHandles.SafeFileHandle ReceiveWithDescriptor(System.Net.Sockets.Socket socket, Span<byte> data)
        {
            byte* control = stackalloc byte[ControlSize * 2];
            new Span<byte>(control, ControlSize * 2).Clear();
            fixed (byte* bytes = data)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlSize * 2 };
                nint received;
                do
                {
                    received = RecvMsg(socket.Handle, &message, MSG_CMSG_CLOEXEC | 0x100 /* MSG_WAITALL */);
                }
                while (received < 0 && Marshal.GetLastPInvokeError() == EINTR);
                if (received < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EAGAIN)
                    {
                        throw new TimeoutException("no descriptor within the receive timeout (SO_RCVTIMEO)");
                    }
                    throw LastError("recvmsg(SCM_RIGHTS)");
                }
                ulong length = *(ulong*)control;
                int level = *(int*)(control + 8);
                int type = *(int*)(control + 12);
                if (message.ControlLength < ControlSize || level != SOL_SOCKET || type != SCM_RIGHTS || length != CmsgHeaderSize + sizeof(int))
                {
                    // A descriptor we did not ask for, or none: close whatever arrived and refuse.
                    if (level == SOL_SOCKET && type == SCM_RIGHTS && length >= CmsgHeaderSize + sizeof(int))
                    {
                        int count = (int)((length - CmsgHeaderSize) / sizeof(int));
                        for (int i = 0; i < count && CmsgHeaderSize + (i + 1) * sizeof(int) <= ControlSize * 2; i++)
                        {
                            new Microsoft.Win32.SafeHandles.SafeFileHandle(*(int*)(control + CmsgHeaderSize + i * sizeof(int)), ownsHandle: true).Dispose();
                        }
                    }
                    throw new IpcProtocolException("the peer did not send exactly one file descriptor");
                }
                if (received != data.Length || (message.Flags & 0x8 /* MSG_CTRUNC */) != 0)
                {
                    new Microsoft.Win32.SafeHandles.SafeFileHandle(*(int*)(control + CmsgHeaderSize), ownsHandle: true).Dispose();
                    throw new IpcProtocolException("the descriptor message was truncated");
                }
                return new Microsoft.Win32.SafeHandles.SafeFileHandle(*(int*)(control + CmsgHeaderSize), ownsHandle: true);
            }
        }
    }
}
