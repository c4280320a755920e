using System.IO.Pipelines;
using Broker.Core.Accounts;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>A command on three pipes, so that stdout and stderr stay apart.</summary>
internal sealed class PipeCommandProcess : ITargetProcess
{
    private readonly FdChannel _stdout;
    private readonly FdChannel _stderr;
    private readonly ChildProcess _child;
    private readonly ProcessSession _session;
    private readonly Lock _stdinGate = new();
    private FdChannel? _stdin;
    private int _disposed;

    private PipeCommandProcess(FdChannel stdin, FdChannel stdout, FdChannel stderr, ChildProcess child, SessionCgroup? cgroup, AccountLease? account)
    {
        _stdin = stdin;
        _stdout = stdout;
        _stderr = stderr;
        _child = child;
        _session = new ProcessSession(child, cgroup, account);
    }

    /// <summary>Starts the program on three pipes; <paramref name="account"/> is released when the process is disposed.</summary>
    public static unsafe TargetStartResult Start(SpawnRequest request, FdEventLoop loop, ProcessContainment containment, AccountLease? account = null)
    {
        var fds = stackalloc int[6];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0)
        {
            return TargetStartResult.Failed($"cannot create pipes: {LibC.Describe(LibC.LastError)}", 126);
        }

        if (LibC.pipe2(fds + 2, LibC.O_CLOEXEC) != 0 || LibC.pipe2(fds + 4, LibC.O_CLOEXEC) != 0)
        {
            var error = LibC.Describe(LibC.LastError);
            for (var i = 0; i < 6; i++)
            {
                if (fds[i] > 0)
                {
                    LibC.close(fds[i]);
                }
            }

            return TargetStartResult.Failed($"cannot create pipes: {error}", 126);
        }

        int stdinRead = fds[0], stdoutWrite = fds[3], stderrWrite = fds[5];
        var (spawned, cgroup) = containment.Spawn(request, new SpawnStdio.Pipes(stdinRead, stdoutWrite, stderrWrite));
        // The child's ends are closed here whatever happened: the parent must never hold them,
        // or end of file would never arrive.
        LibC.close(fds[0]);
        LibC.close(fds[3]);
        LibC.close(fds[5]);
        var stdin = new UnixFileDescriptor(fds[1]);
        var stdout = new UnixFileDescriptor(fds[2]);
        var stderr = new UnixFileDescriptor(fds[4]);
        if (!spawned.Succeeded)
        {
            stdin.Dispose();
            stdout.Dispose();
            stderr.Dispose();
            return TargetStartResult.Failed(spawned.Error!, 127);
        }

        var child = new ChildProcess(spawned.ProcessId, loop);
        return TargetStartResult.Started(new PipeCommandProcess(
            FdChannel.ForWriting(stdin, loop),
            FdChannel.ForPipeOutput(stdout, loop),
            FdChannel.ForPipeOutput(stderr, loop),
            child,
            cgroup,
            account));
    }

    public PipeReader Output => _stdout.Output;

    public PipeReader? ErrorOutput => _stderr.Output;

    public Task<ProcessExit> Exited => _child.Exited;

    public ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        FdChannel? stdin;
        lock (_stdinGate)
        {
            stdin = _stdin;
        }

        return stdin is null ? ValueTask.FromResult(false) : stdin.WriteAsync(data, cancellationToken);
    }

    public ValueTask CompleteInputAsync(CancellationToken cancellationToken)
    {
        FdChannel? stdin;
        lock (_stdinGate)
        {
            stdin = _stdin;
            _stdin = null;
        }

        stdin?.Dispose();
        return ValueTask.CompletedTask;
    }

    public bool SetEcho(bool enabled) => false;

    public TerminalInputMode InputMode => TerminalInputMode.NotATerminal;

    public bool Resize(int columns, int rows) => false;

    public bool Signal(TargetSignal signal) => _child.SignalGroup((int)signal);

    public void KillAll() => _session.KillAll();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        KillAll();
        await CompleteInputAsync(CancellationToken.None).ConfigureAwait(false);
        await _child.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _child.Dispose();
        _stdout.Dispose();
        _stderr.Dispose();
        await _session.ReleaseAsync().ConfigureAwait(false);
    }
}
