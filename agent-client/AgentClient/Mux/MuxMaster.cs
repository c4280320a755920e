using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AgentClient.Cli;

namespace AgentClient.Mux;

/// <summary>
/// The master: listens on the user's private socket for one broker, serves only connections whose
/// peer (SO_PEERCRED) has the master's own uid, runs each thin client's command with that client's
/// descriptors and token on the shared connection, and stops after <c>persist</c> with nothing running.
/// It holds no token of its own: a command that brings none is refused as on the direct path.
/// </summary>
internal sealed class MuxMaster : IDisposable
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private readonly string _key;
    private readonly string _socketPath;
    private readonly uint _uid;
    private readonly TimeSpan _persist;
    private readonly Func<MuxRequest, RequestScope, TerminationSignals, Task<int>> _run;
    private readonly HttpMessageInvoker _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _idle;
    private readonly TextWriter _log;
    private readonly List<Task> _serving = [];
    private int _active;
    private int _served;

    /// <param name="key">The broker and TLS files this master serves (<see cref="MuxArguments.Key"/>).</param>
    /// <param name="socketPath">Its socket, in a directory already checked.</param>
    /// <param name="uid">The only uid served (the master's own; a test may name another).</param>
    /// <param name="persist">How long it stays with nothing to do.</param>
    /// <param name="http">The connection to the broker its calls share.</param>
    /// <param name="run">Runs one command (the exec path, with the scope entered).</param>
    /// <param name="log">Where it says what it refused (never a token or output).</param>
    /// <param name="time">The clock of the idle timer.</param>
    public MuxMaster(string key, string socketPath, uint uid, TimeSpan persist, HttpMessageInvoker http, Func<MuxRequest, RequestScope, TerminationSignals, Task<int>> run, TextWriter log, TimeProvider time)
    {
        _key = key;
        _socketPath = socketPath;
        _uid = uid;
        _persist = persist;
        _http = http;
        _run = run;
        _log = log;
        _idle = time.CreateTimer(static state => ((MuxMaster)state!).StopIfIdle(), this, persist, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Serves until stopped (idle, <c>mux stop</c>, or <paramref name="cancellationToken"/>), then waits for running commands.</summary>
    public async Task RunAsync(Socket listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(linked.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _active);
                lock (_serving)
                {
                    _serving.RemoveAll(t => t.IsCompleted);
                    _serving.Add(Task.Run(() => ServeAsync(connection), CancellationToken.None));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        finally
        {
            // New clients find no socket and take the direct path; commands already running finish.
            File.Delete(_socketPath);
            listener.Dispose();
        }

        Task[] running;
        lock (_serving)
        {
            running = [.. _serving];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _idle.Dispose();
        _stop.Dispose();
    }

    /// <summary>The uid of the process at the other end of <paramref name="connection"/>.</summary>
    public static uint PeerUid(Socket connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Span<byte> credentials = stackalloc byte[12];
        connection.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
        return BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]);
    }

    private void StopIfIdle()
    {
        if (Volatile.Read(ref _active) == 0)
        {
            _stop.Cancel();
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        try
        {
            using (connection)
            {
                if (PeerUid(connection) is var peer && peer != _uid)
                {
                    await _log.WriteLineAsync($"agent-client mux: refused a connection from uid {peer}").ConfigureAwait(false);
                    return;
                }

                var fds = new int[3];
                var kind = MuxNative.ReceiveWithDescriptors(connection.Handle, fds, out var count);
                if (kind == MuxProtocol.Run && count == 3)
                {
                    await RunAsync(connection, fds).ConfigureAwait(false);
                    return;
                }

                foreach (var fd in fds.AsSpan(0, count))
                {
                    _ = Terminal.LibC.Close(fd);
                }

                if (kind == MuxProtocol.Status)
                {
                    await connection.SendAsync(MuxProtocol.TextFrame($"master pid {Environment.ProcessId} for {_key.Split('\n')[0]}; {Volatile.Read(ref _served)} served, {Volatile.Read(ref _active) - 1} running; stops after {_persist.TotalSeconds:0} s idle")).ConfigureAwait(false);
                }
                else if (kind == MuxProtocol.Stop)
                {
                    await connection.SendAsync(MuxProtocol.TextFrame($"master pid {Environment.ProcessId} stopping")).ConfigureAwait(false);
                    await _stop.CancelAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The client went away; its command (if any) was cancelled with it.
        }
        finally
        {
            if (Interlocked.Decrement(ref _active) == 0)
            {
                _idle.Change(_persist, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private async Task RunAsync(Socket connection, int[] fds)
    {
        RequestScope? scope = null;
        try
        {
            var request = await ReadRequestAsync(connection).ConfigureAwait(false);
            if (request is null || request.Key != _key)
            {
                await connection.SendAsync(new[] { MuxProtocol.NotMine }).ConfigureAwait(false);
                return;
            }

            scope = new RequestScope(fds, request.Environment, _http);
            Interlocked.Increment(ref _served);
            await connection.SendAsync(new[] { MuxProtocol.Accepted }).ConfigureAwait(false);
            using var signals = TerminationSignals.Relayed();
            using var done = new CancellationTokenSource();
            var relay = RelaySignalsAsync(connection, signals, done.Token);
            var code = await _run(request, scope, signals).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
            await relay.ConfigureAwait(false);
            await connection.SendAsync(MuxProtocol.Frame(MuxProtocol.Exit, code)).ConfigureAwait(false);
        }
        finally
        {
            if (scope is null)
            {
                foreach (var fd in fds)
                {
                    _ = Terminal.LibC.Close(fd);
                }
            }
            else
            {
                scope.Dispose();
            }
        }
    }

    private static async Task<MuxRequest?> ReadRequestAsync(Socket connection)
    {
        var prefix = new byte[4];
        if (!await ReceiveExactlyAsync(connection, prefix, CancellationToken.None).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length is < 0 or > MuxProtocol.MaxRequest)
        {
            return null;
        }

        var body = new byte[length];
        return await ReceiveExactlyAsync(connection, body, CancellationToken.None).ConfigureAwait(false) ? MuxProtocol.Decode(body) : null;
    }

    /// <summary>
    /// The client's signals, as its own process would take them; a client that goes away (killed, or
    /// its connection closed) is a hang-up: its command is cancelled.
    /// </summary>
    private static async Task RelaySignalsAsync(Socket connection, TerminationSignals signals, CancellationToken done)
    {
        var frame = new byte[5];
        try
        {
            while (await ReceiveExactlyAsync(connection, frame, done).ConfigureAwait(false))
            {
                if (frame[0] != MuxProtocol.Signal || Signal(BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(1))) is not { } signal)
                {
                    break;
                }

                if (!signals.Deliver(signal))
                {
                    await connection.SendAsync(MuxProtocol.Frame(MuxProtocol.Kill, MuxProtocol.SignalNumber(signal)), done).ConfigureAwait(false);
                }
            }

            signals.Deliver(PosixSignal.SIGHUP);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The command ended, or the client went away as it did.
            if (!done.IsCancellationRequested)
            {
                signals.Deliver(PosixSignal.SIGHUP);
            }
        }
    }

    private static PosixSignal? Signal(int number) => number switch
    {
        1 => PosixSignal.SIGHUP,
        2 => PosixSignal.SIGINT,
        3 => PosixSignal.SIGQUIT,
        15 => PosixSignal.SIGTERM,
        _ => null,
    };

    private static async Task<bool> ReceiveExactlyAsync(Socket connection, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await connection.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
