using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Broker.Core.Native;
using Broker.Core.Processes;
using Broker.Core.Targets;
using Broker.Harness.Systems;

namespace Broker.Harness.Floor;

/// <summary>
/// The lean-pty floor server (<c>--echo-server lean-pty --listen URL</c>): what a transport of the broker's own for
/// interactive streams would cost, with no gRPC, HTTP/2 or Kestrel. Each connection speaks <see cref="LeanFrames"/>
/// over plain TCP (no encryption); its open frame starts a bash on a PTY of the broker's PTY layer (the same shell as
/// grpc-pty's), and from then on the session runs on the PTY layer's epoll loop (<see cref="LeanSession"/>). Accepting
/// and the opening handshake use ordinary blocking .NET socket calls on one thread of their own, never an asynchronous
/// one, so that no descriptor is also registered with the runtime's socket engine.
/// </summary>
internal static class LeanServer
{
    private static readonly TimeSpan s_openTimeout = TimeSpan.FromSeconds(60);

    // fcntl(2)'s F_DUPFD_CLOEXEC, which Broker.Core's LibC does not name.
    private const int DuplicateCloseOnExec = 1030;

    public static async Task<int> RunAsync(IPAddress address, int port, Uri url)
    {
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, port));
        listener.Listen(1024);
        var settings = DirectPtySystem.ShellSettings(FloorServer.LeanMode);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopped.TrySetResult();
        });
        var accepting = new Thread(() => Accept(listener, settings)) { IsBackground = true, Name = "lean-pty-accept" };
        accepting.Start();
        await Console.Error.WriteLineAsync($"{FloorServer.LeanMode}: listening on {url}").ConfigureAwait(false);
        // Until SIGTERM (bench/run's cleanup); the shells hang up when the process's masters close with it.
        await stopped.Task.ConfigureAwait(false);
        return 0;
    }

    private static void Accept(Socket listener, LocalShellSettings settings)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = listener.Accept();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.Interrupted)
            {
                // A signal (SIGTERM, on the way out) interrupted the wait.
                continue;
            }
            catch (SocketException ex)
            {
                Console.Error.WriteLine($"{FloorServer.LeanMode}: accept failed: {ex.Message}");
                continue;
            }

            // On this thread, one connection at a time (a shell starts in a few milliseconds): a pool thread that opened
            // the sessions would retire during the typing window and take its run time out of the process's schedstat
            // sum, which read lean-pty's CPU per key about 20 % low in a first run.
            Open(connection, settings);
        }
    }

    /// <summary>Reads the open frame, starts the shell, answers opened, and hands both descriptors to the loop.</summary>
    private static void Open(Socket connection, LocalShellSettings settings)
    {
        UnixFileDescriptor? socketFd = null;
        UnixFileDescriptor? master = null;
        try
        {
            connection.NoDelay = true;
            connection.ReceiveTimeout = (int)s_openTimeout.TotalMilliseconds;
            var header = new byte[LeanFrames.HeaderLength];
            ReceiveExactly(connection, header);
            if (!LeanFrames.TryReadHeader(header, out var kind, out var length) || kind != LeanFrames.Open)
            {
                throw new IOException("the first frame must open the terminal");
            }

            var payload = new byte[length];
            ReceiveExactly(connection, payload);
            var (columns, rows, term) = LeanFrames.ReadOpen(payload) ?? throw new IOException("the open frame is too short");
            var duplicate = LibC.fcntl((int)connection.Handle, DuplicateCloseOnExec, 0);
            if (duplicate < 0)
            {
                throw new IOException($"cannot duplicate the connection: {LibC.Describe(LibC.LastError)}");
            }

            socketFd = new UnixFileDescriptor(duplicate);
            var (started, spawn, failure) = PtyTerminalProcess.Spawn(Request(settings, term), columns, rows, ProcessContainment.BySessionId);
            master = started ?? throw new IOException($"the shell did not start: {failure?.Error}");
            // From here the session owns the shell (it kills and reaps it when it ends), the master and the connection.
            var session = new LeanSession(connection, socketFd, master, spawn, FdEventLoop.Shared);
            (socketFd, master) = (null, null);
            try
            {
                var opened = new byte[LeanFrames.HeaderLength];
                LeanFrames.WriteHeader(opened, LeanFrames.Opened, 0);
                connection.Send(opened);
                session.Start();
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                session.Dispose();
                throw;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            Console.Error.WriteLine($"{FloorServer.LeanMode}: a session did not open: {ex.Message}");
            master?.Dispose();
            socketFd?.Dispose();
            connection.Dispose();
        }
    }

    private static void ReceiveExactly(Socket connection, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = connection.Receive(buffer);
            if (n == 0)
            {
                throw new IOException("the client closed before opening");
            }

            buffer = buffer[n..];
        }
    }

    /// <summary>What the PTY layer's LocalShellTarget starts for a terminal with no session account: the target's environment, SHELL and TERM.</summary>
    private static SpawnRequest Request(LocalShellSettings settings, string term)
    {
        var environment = new Dictionary<string, string>(settings.Environment, StringComparer.Ordinal)
        {
            ["SHELL"] = settings.Shell,
            ["TERM"] = term.Length > 0 ? term : "xterm-256color",
        };
        return new SpawnRequest
        {
            Path = settings.Shell,
            Arguments = [settings.Shell, .. settings.InteractiveArguments],
            Environment = environment,
            WorkingDirectory = environment.TryGetValue("HOME", out var home) && Directory.Exists(home) ? home : "/",
            Umask = settings.Umask,
        };
    }
}
