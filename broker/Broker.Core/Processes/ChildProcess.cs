using Broker.Core.Native;

namespace Broker.Core.Processes;

/// <summary>
/// A spawned session leader. Its exit is observed through a pidfd on the shared event loop
/// (no thread per child), and it is reaped with <c>waitpid</c> on that pid only, so children
/// that <see cref="System.Diagnostics.Process"/> started elsewhere in the process are untouched.
/// </summary>
internal sealed class ChildProcess : IFdWatcher, IDisposable
{
    private readonly TaskCompletionSource<ProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly FdEventLoop _loop;
    private readonly UnixFileDescriptor _pidFd;
    private readonly long _token;
    private int _released;

    public ChildProcess(int pid, FdEventLoop loop)
    {
        ProcessId = pid;
        _loop = loop;
        var fd = (int)LibC.syscall(LibC.SYS_pidfd_open, pid, 0);
        if (fd < 0)
        {
            throw new IOException($"pidfd_open({pid}) failed: {LibC.Describe(LibC.LastError)}");
        }

        _pidFd = new UnixFileDescriptor(fd);
        _token = loop.NewToken();
        loop.Add(fd, LibC.EPOLLIN, _token, this);
    }

    public int ProcessId { get; }

    /// <summary>Completes when the process has exited and been reaped.</summary>
    public Task<ProcessExit> Exited => _exited.Task;

    public unsafe void OnReady(uint events)
    {
        int status;
        var rc = LibC.waitpid(ProcessId, &status, LibC.WNOHANG);
        if (rc == 0)
        {
            // Readable without a reapable status does not happen for pidfds; keep watching regardless.
            _loop.Rearm(_pidFd.Fd, _token, LibC.EPOLLIN);
            return;
        }

        Release();
        if (rc < 0)
        {
            // Someone else reaped it (ECHILD); the status is lost but the process is gone.
            _exited.TrySetResult(new ProcessExit(255, 0));
            return;
        }

        var (code, signal) = LibC.DecodeWaitStatus(status);
        _exited.TrySetResult(new ProcessExit(code, signal));
    }

    /// <summary>Stops watching (the process, if still alive, is the caller's to kill).</summary>
    public void Dispose() => Release();

    private void Release()
    {
        // Once closed, the descriptor number may be reused by another session: remove it exactly once.
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _loop.Remove(_pidFd.Fd, _token);
            _pidFd.Dispose();
        }
    }

    /// <summary>Sends a signal to the process group led by this process.</summary>
    public bool SignalGroup(int signal) => LibC.kill(-ProcessId, signal) == 0;
}
