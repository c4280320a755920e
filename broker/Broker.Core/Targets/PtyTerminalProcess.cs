using System.IO.Pipelines;
using Broker.Core.Accounts;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>A program on a pseudo-terminal we allocated. The broker only ever holds the master side.</summary>
internal sealed class PtyTerminalProcess : ITargetProcess
{
    private static readonly byte[] s_endOfFile = [0x04];
    private static readonly uint OwnerReadWrite = Convert.ToUInt32("600", 8);

    private readonly FdChannel _master;
    private readonly UnixFileDescriptor _masterFd;
    private readonly ChildProcess _child;
    private readonly ProcessSession _session;
    private int _disposed;

    private PtyTerminalProcess(UnixFileDescriptor masterFd, FdChannel master, ChildProcess child, SessionCgroup? cgroup, AccountLease? account)
    {
        _masterFd = masterFd;
        _master = master;
        _child = child;
        _session = new ProcessSession(child, cgroup, account);
    }

    /// <summary>
    /// Starts the program on a new terminal. With an account to switch to, the terminal's slave side is given to that
    /// account (mode 0600), as login does, so that no other account can open it. <paramref name="account"/> is
    /// released when the process is disposed (not when the start fails: then it is the caller's).
    /// </summary>
    public static TargetStartResult Start(SpawnRequest request, int columns, int rows, FdEventLoop loop, ProcessContainment containment, AccountLease? account = null)
    {
        var (master, spawn, failure) = Spawn(request, columns, rows, containment);
        if (master is null)
        {
            return failure!;
        }

        var child = new ChildProcess(spawn.Result.ProcessId, loop);
        var channel = FdChannel.ForReading(master, loop);
        return TargetStartResult.Started(new PtyTerminalProcess(master, channel, child, spawn.Cgroup, account));
    }

    /// <summary>
    /// Allocates a terminal of <paramref name="columns"/> by <paramref name="rows"/> and starts the program on its slave
    /// side, which is closed here: the caller gets the master (blocking, not yet watched) and the spawn, or the failure.
    /// <see cref="Start"/> drives the master through an <see cref="FdChannel"/>; the benchmark harness's lean-pty floor
    /// server drives it on the loop itself.
    /// </summary>
    internal static unsafe (UnixFileDescriptor? Master, ContainedSpawn Spawn, TargetStartResult? Failure) Spawn(SpawnRequest request, int columns, int rows, ProcessContainment containment)
    {
        var fd = LibC.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            return (null, default, TargetStartResult.Failed($"cannot allocate a terminal: {LibC.Describe(LibC.LastError)}", 126));
        }

        var master = new UnixFileDescriptor(fd);
        if (LibC.grantpt(fd) != 0 || LibC.unlockpt(fd) != 0)
        {
            var error = LibC.Describe(LibC.LastError);
            master.Dispose();
            return (null, default, TargetStartResult.Failed($"cannot prepare the terminal: {error}", 126));
        }

        var slave = OpenSlave(fd);
        if (slave < 0)
        {
            var error = LibC.Describe(LibC.LastError);
            master.Dispose();
            return (null, default, TargetStartResult.Failed($"cannot open the terminal: {error}", 126));
        }

        ContainedSpawn spawn;
        try
        {
            if (request.Account is { } owner && (LibC.fchown(slave, owner.Uid, owner.Gid) != 0 || LibC.fchmod(slave, OwnerReadWrite) != 0))
            {
                var error = LibC.Describe(LibC.LastError);
                master.Dispose();
                return (null, default, TargetStartResult.Failed($"cannot give the terminal to the session's account: {error}", 126));
            }

            SetSize(fd, columns, rows);
            spawn = containment.Spawn(request, new SpawnStdio.Terminal(slave));
        }
        finally
        {
            // The broker only ever holds the master: the slave lives in the program from here on.
            LibC.close(slave);
        }

        if (!spawn.Result.Succeeded)
        {
            master.Dispose();
            return (null, default, TargetStartResult.Failed(spawn.Result.Error!, 127));
        }

        return (master, spawn, null);
    }

    /// <summary>
    /// Has the kernel's line discipline take in what was written to the master so far. Input written to a pty is
    /// processed later, by a kernel worker, under the terminal's modes at that moment: turning echo on right after
    /// writing a command would echo whatever part of it the worker had not reached yet. Polling the slave makes the
    /// kernel finish that work first, but n_tty's poll does so only while no input is ready to read: a command of
    /// several lines has complete lines the shell has not read yet, so the poll is repeated until the shell has taken
    /// them (it is reading: it waits for the command's last line end, which comes after echo). Nothing is read here.
    /// </summary>
    private unsafe void SettleInput()
    {
        var slave = LibC.ioctl_value(_masterFd.Fd, LibC.TIOCGPTPEER, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        if (slave < 0)
        {
            return;
        }

        try
        {
            var pollfd = stackalloc byte[8];
            for (var attempt = 0; attempt < MaxSettleAttempts; attempt++)
            {
                *(int*)pollfd = slave;
                *(short*)(pollfd + 4) = LibC.POLLIN;
                *(short*)(pollfd + 6) = 0;
                if (LibC.poll(pollfd, 1, 0) <= 0 || (*(short*)(pollfd + 6) & LibC.POLLIN) == 0)
                {
                    // Nothing ready to read, so the kernel flushed its pending input before answering.
                    return;
                }

                Thread.Sleep(1);
            }
        }
        finally
        {
            LibC.close(slave);
        }
    }

    /// <summary>The slave side of the master <paramref name="master"/>, opened without a path lookup where the kernel can.</summary>
    private static unsafe int OpenSlave(int master)
    {
        var slave = LibC.ioctl_value(master, LibC.TIOCGPTPEER, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (slave >= 0 || LibC.LastError != LibC.EINVAL)
        {
            return slave;
        }

        // Before Linux 4.13: by name.
        var name = stackalloc byte[128];
        if (LibC.ptsname_r(master, name, 128) != 0)
        {
            return -1;
        }

        return LibC.open(name, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
    }

    /// <summary>
    /// How many times the settle waits a millisecond for the shell to read complete lines. A shell that does not read
    /// (it is not at its prompt) would never let the poll flush; after this the echo comes on as before.
    /// </summary>
    private const int MaxSettleAttempts = 200;

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
        if (enabled)
        {
            SettleInput();
        }

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
