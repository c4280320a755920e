using System.Net.Sockets;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Harness.Floor;

/// <summary>
/// One lean-pty session once its shell runs: the client's socket and the PTY's master, both non-blocking and both
/// watched by the PTY layer's one epoll loop (<see cref="FdEventLoop"/>), as sshd watches its socket and its PTY in one
/// poll loop. Everything happens on the loop thread: a wake-up of the socket reads the client's frames and writes their
/// keys to the PTY; a wake-up of the PTY reads its output, frames it and writes it to the socket. No task, pipe or
/// thread-pool hop lies between a key and its echo: two wake-ups per key. Buffers are fixed; when the PTY will not take
/// more input the socket is not read, and when the socket will not take more output the PTY is not read, so a slow side
/// stops the other through the kernel (registrations are one-shot: an fd not re-armed is not read).
/// </summary>
internal sealed class LeanSession : IDisposable
{
    // As the PTY layer's FdChannel reads a PTY: at most 32 KiB a wake-up.
    private const int OutputChunk = 32 * 1024;

    private readonly FdEventLoop _loop;
    private readonly Socket _socket;
    private readonly UnixFileDescriptor _socketFd;
    private readonly UnixFileDescriptor _master;
    private readonly ChildProcess _shell;
    private readonly ProcessSession _processes;
    private readonly Side _socketSide;
    private readonly Side _ptySide;
    // Everything below is touched on the loop thread, and by Start and Dispose from the opening thread; the gate only
    // orders those against the loop's wake-ups (uncontended once the session runs).
    private readonly Lock _gate = new();
    private readonly byte[] _input = new byte[LeanFrames.MaxPayload + LeanFrames.HeaderLength];
    private readonly byte[] _output = new byte[LeanFrames.HeaderLength + OutputChunk];
    private int _inputStart;
    private int _inputEnd;
    private byte _frameKind;
    private int _payloadLeft;
    private int _outputStart;
    private int _outputEnd;
    private bool _ptyFull;
    private uint _socketArmed;
    private uint _ptyArmed;
    private bool _closed;

    /// <param name="socket">The accepted connection, kept open (not used) until the session ends.</param>
    /// <param name="socketFd">A duplicate of the connection's descriptor, which the loop reads and writes.</param>
    /// <param name="master">The PTY's master.</param>
    /// <param name="spawn">The shell started on the PTY's slave.</param>
    /// <param name="loop">The PTY layer's loop.</param>
    public LeanSession(Socket socket, UnixFileDescriptor socketFd, UnixFileDescriptor master, ContainedSpawn spawn, FdEventLoop loop)
    {
        _loop = loop;
        _socket = socket;
        _socketFd = socketFd;
        _master = master;
        _shell = new ChildProcess(spawn.Result.ProcessId, loop);
        _processes = new ProcessSession(_shell, spawn.Cgroup, account: null);
        _socketSide = new Side(this, loop.NewToken(), isSocket: true);
        _ptySide = new Side(this, loop.NewToken(), isSocket: false);
    }

    /// <summary>Registers both descriptors with the loop; from here on the session runs on the loop thread until either side ends.</summary>
    public void Start()
    {
        _socketFd.SetNonBlocking();
        _master.SetNonBlocking();
        lock (_gate)
        {
            _loop.Add(_socketFd.Fd, LibC.EPOLLIN, _socketSide.Token, _socketSide);
            _socketArmed = LibC.EPOLLIN;
            _loop.Add(_master.Fd, LibC.EPOLLIN, _ptySide.Token, _ptySide);
            _ptyArmed = LibC.EPOLLIN;
        }
    }

    /// <summary>Ends the session from outside the loop (a start that failed); it ends itself when either side does.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (!_closed)
            {
                CloseLocked();
            }
        }
    }

    private void OnReady(bool socket, uint events)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (socket)
            {
                _socketArmed = 0;
            }
            else
            {
                _ptyArmed = 0;
                if ((events & (LibC.EPOLLOUT | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0)
                {
                    _ptyFull = false;
                }
            }

            var ended = (socket && (events & (LibC.EPOLLIN | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0 && !ReadSocket())
                || !DeliverInput()
                || (!socket && (events & (LibC.EPOLLIN | LibC.EPOLLERR | LibC.EPOLLHUP)) != 0 && !ReadPty())
                || !FlushOutput();
            if (ended)
            {
                CloseLocked();
                return;
            }

            Arm();
        }
    }

    /// <summary>One read of the client's frames into the input buffer; false when the client is gone.</summary>
    private bool ReadSocket()
    {
        if (_inputEnd == _input.Length)
        {
            return true;
        }

        var n = _socketFd.TryRead(_input.AsSpan(_inputEnd));
        if (n > 0)
        {
            _inputEnd += n;
            return true;
        }

        return n == -LibC.EAGAIN;
    }

    /// <summary>Writes the input frames' bytes to the PTY until it is full or the buffer holds no more; false on a broken frame or PTY.</summary>
    private bool DeliverInput()
    {
        while (!_ptyFull)
        {
            if (_payloadLeft > 0)
            {
                var available = Math.Min(_payloadLeft, _inputEnd - _inputStart);
                if (available == 0)
                {
                    break;
                }

                // Only input frames follow the open frame; anything else is skipped.
                var n = _frameKind == LeanFrames.Input ? _master.TryWrite(_input.AsSpan(_inputStart, available)) : available;
                if (n == -LibC.EAGAIN)
                {
                    _ptyFull = true;
                    break;
                }

                if (n < 0)
                {
                    return false;
                }

                _inputStart += n;
                _payloadLeft -= n;
                continue;
            }

            if (_inputEnd - _inputStart < LeanFrames.HeaderLength)
            {
                break;
            }

            if (!LeanFrames.TryReadHeader(_input.AsSpan(_inputStart), out _frameKind, out _payloadLeft))
            {
                return false;
            }

            _inputStart += LeanFrames.HeaderLength;
        }

        if (_inputStart == _inputEnd)
        {
            _inputStart = _inputEnd = 0;
        }
        else if (_inputEnd == _input.Length)
        {
            _input.AsSpan(_inputStart, _inputEnd - _inputStart).CopyTo(_input);
            _inputEnd -= _inputStart;
            _inputStart = 0;
        }

        return true;
    }

    /// <summary>One read of the PTY, framed, when the last frame has gone out; false when the shell's side is closed.</summary>
    private bool ReadPty()
    {
        if (_outputEnd > _outputStart)
        {
            return true;
        }

        var n = _master.TryRead(_output.AsSpan(LeanFrames.HeaderLength));
        if (n > 0)
        {
            LeanFrames.WriteHeader(_output, LeanFrames.Output, n);
            _outputStart = 0;
            _outputEnd = LeanFrames.HeaderLength + n;
            return true;
        }

        // 0 is end of file; EIO is how a PTY master reports that the slave is closed.
        return n == -LibC.EAGAIN;
    }

    /// <summary>Writes what is framed to the socket until it is sent or the socket is full; false when the client is gone.</summary>
    private bool FlushOutput()
    {
        while (_outputEnd > _outputStart)
        {
            var n = _socketFd.TryWrite(_output.AsSpan(_outputStart, _outputEnd - _outputStart));
            if (n == -LibC.EAGAIN)
            {
                return true;
            }

            if (n < 0)
            {
                return false;
            }

            _outputStart += n;
        }

        _outputStart = _outputEnd = 0;
        return true;
    }

    /// <summary>Re-arms each descriptor for what the session now waits for, and only when that changed (an epoll_ctl each).</summary>
    private void Arm()
    {
        var outputPending = _outputEnd > _outputStart;
        var socket = (!_ptyFull && _inputEnd < _input.Length ? LibC.EPOLLIN : 0) | (outputPending ? LibC.EPOLLOUT : 0);
        var pty = (outputPending ? 0 : LibC.EPOLLIN) | (_ptyFull ? LibC.EPOLLOUT : 0);
        if (socket != _socketArmed)
        {
            _loop.Rearm(_socketFd.Fd, _socketSide.Token, socket);
            _socketArmed = socket;
        }

        if (pty != _ptyArmed)
        {
            _loop.Rearm(_master.Fd, _ptySide.Token, pty);
            _ptyArmed = pty;
        }
    }

    private void CloseLocked()
    {
        _closed = true;
        _loop.Remove(_socketFd.Fd, _socketSide.Token);
        _loop.Remove(_master.Fd, _ptySide.Token);
        // Reaping waits for the shell's exit, which is not the loop's to wait for.
        _ = Task.Run(ReleaseAsync);
    }

    /// <summary>Ends the shell (as the broker's PTY process does when disposed), then lets go of every descriptor.</summary>
    private async Task ReleaseAsync()
    {
        _processes.KillAll();
        try
        {
            await _shell.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Disposing the pidfd below gives up on the leader; the session kill above has been sent.
        }

        _shell.Dispose();
        _master.Dispose();
        _socketFd.Dispose();
        _socket.Dispose();
        await _processes.ReleaseAsync().ConfigureAwait(false);
    }

    /// <summary>One of the session's two descriptors as the loop sees it.</summary>
    private sealed class Side(LeanSession session, long token, bool isSocket) : IFdWatcher
    {
        public long Token { get; } = token;

        public void OnReady(uint events) => session.OnReady(isSocket, events);
    }
}
