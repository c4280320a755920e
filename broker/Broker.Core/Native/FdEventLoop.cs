using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Broker.Core.Native;

/// <summary>Receives readiness events from <see cref="FdEventLoop"/> on the loop thread.</summary>
internal interface IFdWatcher
{
    /// <summary>Called on the loop thread; must not block.</summary>
    void OnReady(uint events);
}

/// <summary>
/// One epoll thread for every PTY, pipe and pidfd of every session. A thread per session
/// blocked in read(2) would cost a stack per session; one loop keeps a thousand sessions
/// at one thread. Registrations are one-shot: a watcher re-arms when it wants more events,
/// which is how back-pressure reaches the kernel (an unarmed PTY is simply not read).
/// </summary>
internal sealed unsafe class FdEventLoop : IDisposable
{
    private static readonly Lazy<FdEventLoop> s_shared = new(() => new FdEventLoop());

    // epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
    private static readonly int s_eventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int s_dataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly ConcurrentDictionary<long, IFdWatcher> _watchers = new();
    private readonly Thread _thread;
    private long _nextToken = 1;
    private volatile bool _disposed;

    private FdEventLoop()
    {
        _epoll = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed: {LibC.Describe(LibC.LastError)}");
        }

        _wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_wakeFd < 0)
        {
            throw new IOException($"eventfd failed: {LibC.Describe(LibC.LastError)}");
        }

        Control(LibC.EPOLL_CTL_ADD, _wakeFd, LibC.EPOLLIN, 0);
        _thread = new Thread(Run) { IsBackground = true, Name = "broker-fd-loop" };
        _thread.Start();
    }

    public static FdEventLoop Shared => s_shared.Value;

    /// <summary>
    /// A token for a registration to come. Watchers keep it in a field before calling <see cref="Add"/>:
    /// the descriptor may be ready at once, and the watcher re-arms with its token from the loop thread.
    /// </summary>
    public long NewToken() => Interlocked.Increment(ref _nextToken);

    /// <summary>Registers a descriptor (one-shot) under <paramref name="token"/> (from <see cref="NewToken"/>).</summary>
    public void Add(int fd, uint events, long token, IFdWatcher watcher)
    {
        _watchers[token] = watcher;
        if (!Control(LibC.EPOLL_CTL_ADD, fd, events | LibC.EPOLLONESHOT, token))
        {
            _watchers.TryRemove(token, out _);
            throw new IOException($"epoll_ctl(ADD, {fd}) failed: {LibC.Describe(LibC.LastError)}");
        }
    }

    /// <summary>Re-arms a one-shot registration. Returns false if the descriptor is gone.</summary>
    public bool Rearm(int fd, long token, uint events) =>
        Control(LibC.EPOLL_CTL_MOD, fd, events | LibC.EPOLLONESHOT, token);

    public void Remove(int fd, long token)
    {
        _watchers.TryRemove(token, out _);
        Control(LibC.EPOLL_CTL_DEL, fd, 0, token);
    }

    private bool Control(int op, int fd, uint events, long token)
    {
        var buffer = stackalloc byte[16];
        *(uint*)buffer = events;
        *(long*)(buffer + s_dataOffset) = token;
        return LibC.epoll_ctl(_epoll, op, fd, buffer) == 0;
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * s_eventSize));
        try
        {
            while (!_disposed)
            {
                var count = LibC.epoll_wait(_epoll, events, MaxEvents, -1);
                if (count < 0)
                {
                    if (LibC.LastError == LibC.EINTR)
                    {
                        continue;
                    }

                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    var entry = events + (i * s_eventSize);
                    var ready = *(uint*)entry;
                    var token = *(long*)(entry + s_dataOffset);
                    if (token == 0)
                    {
                        continue;
                    }

                    if (_watchers.TryGetValue(token, out var watcher))
                    {
                        watcher.OnReady(ready);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        var one = 1UL;
        LibC.write(_wakeFd, (byte*)&one, sizeof(ulong));
    }
}
