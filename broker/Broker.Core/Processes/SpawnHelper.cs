using System.Buffers.Binary;
using Broker.Core.Native;

namespace Broker.Core.Processes;

/// <summary>
/// The broker's side of <c>broker-spawn-helper</c>, a small single-threaded native process started with the broker
/// that creates every target program (see broker-spawn-helper.c). .NET must not fork a multi-threaded runtime; the
/// helper may. It makes each program the broker's own child (<c>CLONE_PARENT</c>), born in its session's cgroup
/// (<c>CLONE_INTO_CGROUP</c>), under the session's account, and reports failures before exec as a stage and errno.
/// Requests are serialised on one Unix socket; a helper that died is started again at the next request.
/// </summary>
internal sealed unsafe class SpawnHelper : IDisposable
{
    /// <summary>The helper's file name, next to the broker's assemblies.</summary>
    public const string ExecutableName = "broker-spawn-helper";

    private readonly Lock _gate = new();
    private readonly string[] _arguments;
    private UnixFileDescriptor? _socket;
    private int _pid;
    private bool _disposed;

    /// <param name="path">The helper executable; null for the one built next to this assembly.</param>
    /// <param name="legacyClone">Never use clone3 (the path taken on hosts without it), for tests of that path.</param>
    public SpawnHelper(string? path = null, bool legacyClone = false)
    {
        ExecutablePath = path ?? Path.Combine(AppContext.BaseDirectory, ExecutableName);
        _arguments = legacyClone ? [ExecutablePath, "--legacy-clone"] : [ExecutablePath];
    }

    public string ExecutablePath { get; }

    /// <summary>The running helper's pid (0 when it is not running), for tests and diagnostics.</summary>
    public int ProcessId
    {
        get
        {
            lock (_gate)
            {
                return _pid;
            }
        }
    }

    /// <summary>Starts the helper now rather than at the first request; null, or why it cannot run.</summary>
    public string? EnsureStarted()
    {
        lock (_gate)
        {
            return _socket is not null ? null : StartLocked();
        }
    }

    /// <summary>Starts <paramref name="request"/> on <paramref name="stdio"/>, inside <paramref name="cgroup"/> when given.</summary>
    public SpawnResult Spawn(SpawnRequest request, SpawnStdio stdio, string? cgroup)
    {
        var flags = KernelSettings.RefusesTiocsti ? SpawnHelperFlags.TiocstiOptional : SpawnHelperFlags.None;
        var script = request.InheritedDescriptor;
        Span<int> fds = stackalloc int[4];
        var count = 0;
        switch (stdio)
        {
            case SpawnStdio.Terminal terminal:
                flags |= SpawnHelperFlags.Terminal;
                fds[count++] = terminal.Slave;
                break;
            case SpawnStdio.Pipes pipes:
                fds[count++] = pipes.Stdin;
                fds[count++] = pipes.Stdout;
                fds[count++] = pipes.Stderr;
                break;
        }

        if (script is { } inherited)
        {
            flags |= SpawnHelperFlags.Script;
            fds[count++] = inherited;
        }

        var (message, invalid) = SpawnHelperMessage.ForSpawn(request, flags, cgroup);
        if (message is null)
        {
            return SpawnResult.Failed($"cannot start {request.Path}: {invalid}");
        }

        using (message)
        {
            var (reply, error) = Exchange(message, fds[..count]);
            if (reply is not { } answer)
            {
                return SpawnResult.Failed($"cannot start {request.Path}: {error}");
            }

            if (answer.Succeeded)
            {
                return SpawnResult.Started(answer.ProcessId);
            }

            if (answer.ProcessId > 0)
            {
                // The program is the broker's child: it failed before exec and exits at once; reap it.
                int status;
                LibC.waitpid(answer.ProcessId, &status, 0);
            }

            return SpawnResult.Failed($"cannot start {request.Path}: {SpawnHelperStages.Describe(answer.Stage)}: {LibC.Describe(answer.Errno)}");
        }
    }

    /// <summary>
    /// Starts the cleaning of an account's leftovers, run as that account: every process of it killed, its home
    /// emptied (with a fresh <c>tmp</c>), and with <paramref name="sweep"/> its files in the shared places and its
    /// System V IPC removed. The result is the exit status of the returned pid (0, or a <see cref="SpawnHelperStage"/>).
    /// </summary>
    public (int ProcessId, string? Error) StartCleaning(SpawnAccount account, string? home, IReadOnlyList<string> sharedDirectories, bool sweep)
    {
        var (message, invalid) = SpawnHelperMessage.ForCleaning(account, home, sharedDirectories, sweep);
        if (message is null)
        {
            return (0, invalid);
        }

        using (message)
        {
            var (reply, error) = Exchange(message, []);
            return reply switch
            {
                null => (0, error),
                { Succeeded: true } answer => (answer.ProcessId, null),
                { } answer => (0, $"{SpawnHelperStages.Describe(answer.Stage)}: {LibC.Describe(answer.Errno)}"),
            };
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            StopLocked();
        }
    }

    /// <summary>Sends one request and reads its reply; a helper found dead before it got the request is restarted once.</summary>
    private (SpawnHelperReply? Reply, string? Error) Exchange(SpawnHelperMessage message, ReadOnlySpan<int> fds)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return (null, "the broker is shutting down");
            }

            for (var attempt = 0; ; attempt++)
            {
                if (_socket is not null && HasExitedLocked())
                {
                    // It died since the last request (killed, out of memory): a new one serves this request.
                    StopLocked();
                }

                if (_socket is null && StartLocked() is { } startError)
                {
                    return (null, startError);
                }

                var sent = Send(_socket!.Fd, message.Bytes, fds);
                if (sent == 0 && attempt == 0)
                {
                    // Nothing reached it: it had exited (a crash, or a protocol error it answered last time).
                    StopLocked();
                    continue;
                }

                if (sent < message.Length)
                {
                    StopLocked();
                    return (null, "the spawn helper stopped while receiving the request");
                }

                Span<byte> reply = stackalloc byte[SpawnHelperMessage.ReplySize];
                if (!Receive(_socket.Fd, reply))
                {
                    StopLocked();
                    return (null, "the spawn helper stopped before answering");
                }

                return (new SpawnHelperReply(Int(reply, 0), (SpawnHelperStage)Int(reply, 1), Int(reply, 2)), null);
            }
        }
    }

    private static int Int(ReadOnlySpan<byte> reply, int index) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadInt32LittleEndian(reply[(index * 4)..])
        : BinaryPrimitives.ReadInt32BigEndian(reply[(index * 4)..]);

    /// <summary>Sends the bytes with the descriptors attached to the first of them; returns how many bytes went.</summary>
    private static int Send(int socket, ReadOnlySpan<byte> bytes, ReadOnlySpan<int> fds)
    {
        var controlLength = fds.Length == 0 ? 0 : LibC.ControlSpace(fds.Length * sizeof(int));
        var control = stackalloc byte[Math.Max(controlLength, 1)];
        var header = stackalloc byte[LibC.MsgHdrSize];
        new Span<byte>(header, LibC.MsgHdrSize).Clear();
        if (controlLength > 0)
        {
            new Span<byte>(control, controlLength).Clear();
            *(nuint*)control = (nuint)(LibC.CmsgHeaderSize + (fds.Length * sizeof(int)));
            *(int*)(control + 8) = LibC.SOL_SOCKET;
            *(int*)(control + 12) = LibC.SCM_RIGHTS;
            fds.CopyTo(new Span<int>(control + LibC.CmsgHeaderSize, fds.Length));
            *(byte**)(header + LibC.MsgHdrControlOffset) = control;
            *(nuint*)(header + LibC.MsgHdrControlLengthOffset) = (nuint)controlLength;
        }

        fixed (byte* data = bytes)
        {
            var vector = new LibC.IoVector { Base = data, Length = (nuint)bytes.Length };
            *(LibC.IoVector**)(header + LibC.MsgHdrIovOffset) = &vector;
            *(nuint*)(header + LibC.MsgHdrIovLengthOffset) = 1;
            nint first;
            do
            {
                first = LibC.sendmsg(socket, header, LibC.MSG_NOSIGNAL);
            }
            while (first < 0 && LibC.LastError == LibC.EINTR);

            if (first <= 0)
            {
                return 0;
            }

            var total = (int)first;
            while (total < bytes.Length)
            {
                var more = LibC.send(socket, data + total, (nuint)(bytes.Length - total), LibC.MSG_NOSIGNAL);
                if (more < 0 && LibC.LastError == LibC.EINTR)
                {
                    continue;
                }

                if (more <= 0)
                {
                    break;
                }

                total += (int)more;
            }

            return total;
        }
    }

    private static bool Receive(int socket, Span<byte> reply)
    {
        var total = 0;
        fixed (byte* p = reply)
        {
            while (total < reply.Length)
            {
                var got = LibC.recv(socket, p + total, (nuint)(reply.Length - total), 0);
                if (got < 0 && LibC.LastError == LibC.EINTR)
                {
                    continue;
                }

                if (got <= 0)
                {
                    return false;
                }

                total += (int)got;
            }
        }

        return true;
    }

    private string? StartLocked()
    {
        if (!File.Exists(ExecutablePath))
        {
            return $"the spawn helper {ExecutablePath} is missing (it is built with the broker from broker/Broker.Core/Processes/Helper)";
        }

        var ends = stackalloc int[2];
        if (LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, ends) != 0)
        {
            return $"cannot create the spawn helper's socket: {LibC.Describe(LibC.LastError)}";
        }

        var helperEnd = DescriptorNumbers.KeepOffThree(ends[1]);
        var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        SpawnResult spawned;
        try
        {
            var fd = (int)devNull.DangerousGetHandle();
            // Its stderr is the broker's: the helper writes there only when it cannot serve at all.
            spawned = helperEnd < 0
                ? SpawnResult.Failed(LibC.Describe(LibC.LastError))
                : ProcessSpawner.SpawnOnPipes(
                    new SpawnRequest { Path = ExecutablePath, Arguments = _arguments, Environment = new Dictionary<string, string>(), InheritedDescriptor = helperEnd },
                    fd,
                    fd,
                    2);
        }
        finally
        {
            devNull.Dispose();
            if (helperEnd >= 0)
            {
                LibC.close(helperEnd);
            }
        }

        if (!spawned.Succeeded)
        {
            LibC.close(ends[0]);
            return $"cannot start the spawn helper {ExecutablePath}: {spawned.Error}";
        }

        _socket = new UnixFileDescriptor(ends[0]);
        _pid = spawned.ProcessId;
        return null;
    }

    /// <summary>Whether the helper has exited (it is then reaped, and its pid forgotten).</summary>
    private bool HasExitedLocked()
    {
        int status;
        if (_pid <= 0 || LibC.waitpid(_pid, &status, LibC.WNOHANG) == 0)
        {
            return false;
        }

        _pid = 0;
        return true;
    }

    /// <summary>Closes the socket (the helper exits at end of file) and reaps the helper.</summary>
    private void StopLocked()
    {
        _socket?.Dispose();
        _socket = null;
        if (_pid <= 0)
        {
            return;
        }

        int status;
        var deadline = Environment.TickCount64 + 2000;
        while (LibC.waitpid(_pid, &status, LibC.WNOHANG) == 0)
        {
            if (Environment.TickCount64 > deadline)
            {
                LibC.kill(_pid, 9);
                LibC.waitpid(_pid, &status, 0);
                break;
            }

            Thread.Sleep(1);
        }

        _pid = 0;
    }
}
