using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcGen.Transports.SystemV;

/// <summary>
/// Notices peer death for System V channels, whose <c>msgrcv</c> cannot be polled: one thread polls the
/// pidfds of every peer it watches together with an eventfd (to take in changes and to stop). When a peer
/// exits, or while an entry asks for ticks (a wake to retry on a full queue, a closed connection whose
/// leftovers are still to be purged), it calls the entry back on this thread every <see cref="TickMs"/>.
/// One watcher serves a whole listener (one thread however many connections) and one serves each client.
/// </summary>
internal sealed unsafe class PeerWatcher : IDisposable
{
    private const int TickMs = 20;

    private readonly object _lock = new();
    private readonly List<Entry> _entries = new();
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private bool _changed;
    private bool _wakeFdClosed;
    private volatile bool _disposed;

    /// <summary>One watched peer. Callbacks run on the watcher thread.</summary>
    internal abstract class Entry
    {
        protected Entry(SafeFileHandle? pidfd) => Pidfd = pidfd;

        /// <summary>Owned by the watcher from <see cref="Add"/> on; disposed on its thread only, so a poll never sees a reused number.</summary>
        internal SafeFileHandle? Pidfd { get; }

        internal bool Exited { get; set; }

        internal bool Removed { get; set; }

        /// <summary>Set by the owner while it wants <see cref="Check"/> called on every tick.</summary>
        public volatile bool NeedsTicks;

        /// <summary>The peer exited (sticky), or a tick; returns true when the entry is done and may go.</summary>
        public abstract bool Check(bool exited);
    }

    public PeerWatcher(string name)
    {
        _wakeFd = Interop.Pipe.EventFd(0, Interop.Pipe.EFD_CLOEXEC | Interop.Pipe.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            throw Interop.LastError("eventfd");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Starts watching; after <see cref="Dispose"/> the entry is dropped at once.</summary>
    public void Add(Entry entry)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _entries.Add(entry);
                _changed = true;
                WakeLocked();
                return;
            }
        }
        entry.Pidfd?.Dispose();
    }

    public void Remove(Entry entry)
    {
        lock (_lock)
        {
            entry.Removed = true;
            _changed = true;
            WakeLocked();
        }
    }

    /// <summary>Makes the thread look at its entries now (one of them wants ticks).</summary>
    public void Wake()
    {
        lock (_lock)
        {
            WakeLocked();
        }
    }

    // Under the lock: the thread closes the eventfd under it too, so a late wake never writes to a reused number.
    private void WakeLocked()
    {
        if (!_wakeFdClosed)
        {
            ulong one = 1;
            Interop.Pipe.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    private void Run()
    {
        Entry[] watched = Array.Empty<Entry>();
        var fds = new Interop.Pipe.PollFd[1];
        var fdOwner = new Entry?[1];
        while (!_disposed)
        {
            lock (_lock)
            {
                if (_changed)
                {
                    _changed = false;
                    for (int i = _entries.Count - 1; i >= 0; i--)
                    {
                        if (_entries[i].Removed)
                        {
                            _entries[i].Pidfd?.Dispose();
                            _entries.RemoveAt(i);
                        }
                    }
                    watched = _entries.ToArray();
                }
            }
            if (fds.Length < watched.Length + 1)
            {
                fds = new Interop.Pipe.PollFd[watched.Length + 1];
                fdOwner = new Entry?[watched.Length + 1];
            }
            int count = 1;
            fds[0] = new Interop.Pipe.PollFd { Fd = _wakeFd, Events = Interop.Pipe.POLLIN };
            bool ticking = false;
            foreach (Entry entry in watched)
            {
                ticking |= entry.Exited || entry.NeedsTicks;
                if (!entry.Exited && entry.Pidfd is { } pidfd)
                {
                    fds[count] = new Interop.Pipe.PollFd { Fd = (int)pidfd.DangerousGetHandle(), Events = Interop.Pipe.POLLIN };
                    fdOwner[count++] = entry;
                }
            }
            int ready;
            fixed (Interop.Pipe.PollFd* p = fds)
            {
                ready = Interop.Pipe.Poll(p, (nuint)count, ticking ? TickMs : -1);
            }
            if (ready < 0 && Marshal.GetLastPInvokeError() != Interop.Pipe.EINTR)
            {
                // No way to fail on this thread without taking the process down: back off and look again.
                Thread.Sleep(TickMs);
                continue;
            }
            if (ready > 0 && fds[0].Revents != 0)
            {
                ulong value;
                Interop.Pipe.Read(_wakeFd, (byte*)&value, sizeof(ulong));
            }
            for (int i = 1; ready > 0 && i < count; i++)
            {
                if (fds[i].Revents != 0)
                {
                    fdOwner[i]!.Exited = true; // a pidfd polls readable (or hung up) once its process has exited
                }
            }
            foreach (Entry entry in watched)
            {
                if (_disposed)
                {
                    break;
                }
                if (entry.Removed || !(entry.Exited || entry.NeedsTicks))
                {
                    continue;
                }
                bool done;
                try
                {
                    done = entry.Check(entry.Exited);
                }
                catch (Exception)
                {
                    done = true; // a callback that fails is not retried forever
                }
                if (done)
                {
                    Remove(entry);
                }
            }
        }
        lock (_lock)
        {
            foreach (Entry entry in _entries)
            {
                entry.Pidfd?.Dispose();
            }
            _entries.Clear();
            Interop.Pipe.Close(_wakeFd);
            _wakeFdClosed = true;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            WakeLocked();
        }
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }
}
