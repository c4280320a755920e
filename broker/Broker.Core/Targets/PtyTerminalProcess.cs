using System.IO.Pipelines;
using System.Text;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>A program on a pseudo-terminal we allocated. The broker only ever holds the master side.</summary>
internal sealed class PtyTerminalProcess : ITargetProcess
{
    private static readonly byte[] s_endOfFile = [0x04];

    private readonly FdChannel _master;
    private readonly UnixFileDescriptor _masterFd;
    private readonly ChildProcess _child;
    private readonly ProcessSession _session;
    private int _disposed;

    private PtyTerminalProcess(UnixFileDescriptor masterFd, FdChannel master, ChildProcess child, SessionCgroup? cgroup)
    {
        _masterFd = masterFd;
        _master = master;
        _child = child;
        _session = new ProcessSession(child, cgroup);
    }

    public static unsafe TargetStartResult Start(SpawnRequest request, int columns, int rows, FdEventLoop loop, ProcessContainment containment)
    {
        var fd = LibC.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            return TargetStartResult.Failed($"cannot allocate a terminal: {LibC.Describe(LibC.LastError)}", 126);
        }

        var master = new UnixFileDescriptor(fd);
        string slavePath;
        var name = stackalloc byte[128];
        if (LibC.grantpt(fd) != 0 || LibC.unlockpt(fd) != 0 || LibC.ptsname_r(fd, name, 128) != 0)
        {
            var error = LibC.Describe(LibC.LastError);
            master.Dispose();
            return TargetStartResult.Failed($"cannot prepare the terminal: {error}", 126);
        }

        slavePath = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(name, IndexOfNul(name)));
        SetSize(fd, columns, rows);
        var (spawned, cgroup) = containment.Spawn(() => ProcessSpawner.SpawnOnTerminal(request, slavePath));
        if (!spawned.Succeeded)
        {
            master.Dispose();
            return TargetStartResult.Failed(spawned.Error!, 127);
        }

        var child = new ChildProcess(spawned.ProcessId, loop);
        var channel = FdChannel.ForReading(master, loop);
        return TargetStartResult.Started(new PtyTerminalProcess(master, channel, child, cgroup));
    }

    private static unsafe int IndexOfNul(byte* name)
    {
        var i = 0;
        while (i < 128 && name[i] != 0)
        {
            i++;
        }

        return i;
    }

    /// <summary>The shell's pid, which is also its session id.</summary>
    public int LeaderProcessId => _child.ProcessId;

    public PipeReader Output => _master.Output;

    public PipeReader? ErrorOutput => null;

    public Task<ProcessExit> Exited => _child.Exited;

    public ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _master.WriteAsync(data, cancellationToken);

    public async ValueTask CompleteInputAsync(CancellationToken cancellationToken) =>
        await _master.WriteAsync(s_endOfFile, cancellationToken).ConfigureAwait(false);

    public bool Resize(int columns, int rows) => SetSize(_masterFd.Fd, columns, rows);

    public unsafe bool SetEcho(bool enabled)
    {
        // On Linux the terminal modes of a pty live with the slave; the master's tcsetattr changes them.
        var termios = stackalloc byte[LibC.TermiosSize];
        if (LibC.tcgetattr(_masterFd.Fd, termios) != 0)
        {
            return false;
        }

        ref var localFlags = ref *(uint*)(termios + LibC.TermiosLocalFlagsOffset);
        localFlags = enabled ? localFlags | LibC.ECHO : localFlags & ~LibC.ECHO;
        return LibC.tcsetattr(_masterFd.Fd, LibC.TCSANOW, termios) == 0;
    }

    public unsafe TerminalInputMode InputMode
    {
        get
        {
            // The slave's modes, read through the master: what the program reading input set them to.
            var termios = stackalloc byte[LibC.TermiosSize];
            if (LibC.tcgetattr(_masterFd.Fd, termios) != 0)
            {
                return TerminalInputMode.NotATerminal;
            }

            var localFlags = *(uint*)(termios + LibC.TermiosLocalFlagsOffset);
            return (localFlags & LibC.ECHO) != 0 ? TerminalInputMode.Echo
                : (localFlags & LibC.ICANON) != 0 ? TerminalInputMode.NoEchoLine
                : TerminalInputMode.NoEchoCharacters;
        }
    }

    private static unsafe bool SetSize(int fd, int columns, int rows)
    {
        var size = new LibC.WinSize { Columns = (ushort)columns, Rows = (ushort)rows };
        return LibC.ioctl(fd, LibC.TIOCSWINSZ, &size) == 0;
    }

    public unsafe bool Signal(TargetSignal signal)
    {
        // Ctrl-C semantics: the signal goes to whatever job is in the terminal's foreground.
        int group;
        if (LibC.ioctl_int(_masterFd.Fd, LibC.TIOCGPGRP, &group) != 0 || group <= 0)
        {
            group = _child.ProcessId;
        }

        return LibC.kill(-group, (int)signal) == 0;
    }

    public void KillAll() => _session.KillAll();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        KillAll();
        // Reap the leader before letting go of its pidfd so that no zombie is left behind.
        await _child.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _child.Dispose();
        _master.Dispose();
        await _session.ReleaseAsync().ConfigureAwait(false);
    }
}
