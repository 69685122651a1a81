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

        private const int MSG_CTRUNC = 0x8;

        /// <summary>
        /// Sends the start of <paramref name="data"/> with <paramref name="descriptors"/> attached to its first
        /// byte; returns how many bytes went (a stream socket may take fewer than all).
        /// </summary>
        public static int SendWithDescriptors(nint socket, ReadOnlySpan<byte> data, ReadOnlySpan<SafeHandle> descriptors)
        {
            int controlLength = CmsgHeaderSize + ((descriptors.Length * sizeof(int) + 7) & ~7); // CMSG_SPACE
            byte* control = stackalloc byte[controlLength];
            new Span<byte>(control, controlLength).Clear();
            *(ulong*)control = (ulong)(CmsgHeaderSize + descriptors.Length * sizeof(int)); // CMSG_LEN
            *(int*)(control + 8) = SOL_SOCKET;
            *(int*)(control + 12) = SCM_RIGHTS;
            for (int i = 0; i < descriptors.Length; i++)
            {
                // The caller holds a reference on every handle until the send is over.
                ((int*)(control + CmsgHeaderSize))[i] = (int)descriptors[i].DangerousGetHandle();
            }
            fixed (byte* bytes = data)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                nint sent;
                do
                {
                    sent = SendMsg(socket, &message, 0);
                }
                while (sent < 0 && Marshal.GetLastPInvokeError() == EINTR);
                if (sent <= 0)
                {
                    throw LastError("sendmsg(SCM_RIGHTS)");
                }
                return (int)sent;
            }
        }

        /// <summary>
        /// Receives bytes into <paramref name="data"/> and any descriptors that came with them into
        /// <paramref name="descriptors"/> (close-on-exec). Returns the byte count (0 at end of stream) or -1
        /// with errno set; <paramref name="truncated"/> says descriptors were dropped for lack of room.
        /// </summary>
        public static nint ReceiveWithDescriptors(nint socket, Span<byte> data, Span<int> descriptors, out int descriptorCount, out bool truncated)
        {
            const int Room = 8; // descriptors per read; a frame carries at most 7
            const int ControlRoom = CmsgHeaderSize + Room * sizeof(int);
            byte* control = stackalloc byte[ControlRoom];
            descriptorCount = 0;
            truncated = false;
            fixed (byte* bytes = data)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlRoom };
                nint received = RecvMsg(socket, &message, MSG_CMSG_CLOEXEC);
                if (received < 0)
                {
                    return received;
                }
                truncated = (message.Flags & MSG_CTRUNC) != 0;
                // Walk every control message; anything but SCM_RIGHTS carries no descriptors.
                nuint offset = 0;
                while (offset + CmsgHeaderSize <= message.ControlLength)
                {
                    ulong length = *(ulong*)(control + offset);
                    int level = *(int*)(control + offset + 8);
                    int type = *(int*)(control + offset + 12);
                    if (length < CmsgHeaderSize || offset + (nuint)length > message.ControlLength)
                    {
                        break;
                    }
                    if (level == SOL_SOCKET && type == SCM_RIGHTS)
                    {
                        int count = (int)((length - CmsgHeaderSize) / sizeof(int));
                        for (int i = 0; i < count; i++)
                        {
                            int fd = *(int*)(control + offset + CmsgHeaderSize + (nuint)(i * sizeof(int)));
                            if (descriptorCount < descriptors.Length)
                            {
                                descriptors[descriptorCount++] = fd;
                            }
                            else
                            {
                                Pipe.Close(fd);
                                truncated = true;
                            }
                        }
                    }
                    offset += (nuint)((length + 7) & ~7UL);
                }
                return received;
            }
        }
    }
}
