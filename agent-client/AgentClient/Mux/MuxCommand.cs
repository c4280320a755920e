using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using AgentClient.Cli;
using AgentClient.Connection;
using AgentClient.Terminal;
using Broker.CommandLine;
using Broker.Protocol.Transport;

namespace AgentClient.Mux;

/// <summary>
/// <c>mux start|stop|status</c>: this user's multiplexer master for one broker (the global <c>--broker</c> and
/// TLS options choose which). <c>start</c> serves in the foreground (<c>--background</c> detaches, as auto mode does).
/// </summary>
internal static class MuxCommand
{
    /// <summary><c>mux status</c> and <c>mux stop</c>: no master serves this broker.</summary>
    public const int NoMaster = ExitCodes.NotFound;

    private static readonly TimeSpan DefaultPersist = TimeSpan.FromMinutes(10);

    public static Command Create(ClientOptions client)
    {
        var persist = new Option<string?>("--persist") { Description = "Stop after this long with no command running: seconds, or a number with s, m or h (default: 10m)" };
        var background = new Option<bool>("--background") { Description = "Detach from the terminal and the caller's session (auto mode starts masters this way)" };
        var start = new Command("start", "Serve exec commands for this broker from this user's private socket") { persist, background };
        start.SetAction((parse, ct) =>
        {
            if (Duration(parse.GetValue(persist)) is not { } idle)
            {
                return Task.FromResult(ExitCodes.Report(ExitCodes.Usage, UsageErrors.WithHelp(parse, $"--persist '{parse.GetValue(persist)}' is not a duration such as 600, 30s, 10m or 1h")));
            }

            return ServeAsync(client, parse, idle, parse.GetValue(background), ct);
        });
        var stop = new Command("stop", "Stop the master for this broker once its running commands end");
        stop.SetAction(parse => Ask(client, parse, MuxProtocol.Stop));
        var status = new Command("status", "Say whether a master serves this broker");
        status.SetAction(parse => Ask(client, parse, MuxProtocol.Status));
        return new Command("mux", "A per-user multiplexer: one connection to the broker that later exec commands reuse") { start, stop, status };
    }

    /// <summary>Seconds, or a number with an s, m or h suffix; null if it is neither or not positive.</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (text is null)
        {
            return DefaultPersist;
        }

        var unit = text.Length > 0 ? text[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 } : 0;
        var number = unit == 0 ? text : text[..^1];
        return int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? TimeSpan.FromSeconds((double)value * Math.Max(unit, 1))
            : null;
    }

    private static async Task<int> ServeAsync(ClientOptions client, ParseResult parse, TimeSpan persist, bool background, CancellationToken cancellationToken)
    {
        if (background)
        {
            // First of all: the pipes an auto-mode client gave it close when that client exits, and a write to one would fail.
            Detach();
        }

        var (key, tls, problem) = Target(client, parse);
        if (problem is not null)
        {
            return ExitCodes.Report(ExitCodes.Usage, problem);
        }

        var uid = MuxNative.GetUid();
        var directory = MuxLocation.Directory(RequestScope.Variable);
        if (MuxLocation.PrepareDirectory(directory, uid) is { } unsafeDirectory)
        {
            return ExitCodes.Report(ExitCodes.Failed, $"refusing to serve from {directory}: {unsafeDirectory}");
        }

        if (MuxLocation.SocketPath(directory, key) is not { } socketPath)
        {
            return ExitCodes.Report(ExitCodes.Failed, $"the socket path under {directory} is too long for a Unix socket; set AGENT_CLIENT_MUX_DIR to a shorter directory");
        }

        FileStream held;
        try
        {
            // Held for as long as this master runs: a second master (two auto-mode clients at once) finds it taken.
            held = new FileStream(MuxLocation.LockPath(socketPath), new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        }
        catch (IOException)
        {
            return ExitCodes.Report(ExitCodes.Failed, $"a master already serves {key.Split('\n')[0]} ({socketPath})");
        }

        using (held)
        {
            // The lock is ours, so a socket left here is a dead master's.
            File.Delete(socketPath);
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(64);
            var (handler, _) = tls.CreateHandler();
            handler ??= new SocketsHttpHandler();
            handler.PooledConnectionIdleTimeout = persist;
            handler.EnableMultipleHttp2Connections = true;
            using var http = new HttpMessageInvoker(handler, disposeHandler: true);
            BrokerConnection.Tls = tls;
            var log = StandardStreams.Err;
            await log.WriteLineAsync($"agent-client mux: serving {key.Split('\n')[0]} on {socketPath} (stops after {persist.TotalSeconds:0} s idle)").ConfigureAwait(false);
            using var master = new MuxMaster(key, socketPath, uid, persist, http, MuxExecRunner.RunAsync, log, TimeProvider.System);
            await master.RunAsync(listener, cancellationToken).ConfigureAwait(false);
            return 0;
        }
    }

    /// <summary>The master's key and TLS settings from the global options, or why they are not usable.</summary>
    private static (string Key, ClientTls Tls, string? Problem) Target(ClientOptions client, ParseResult parse)
    {
        var tls = new ClientTls(
            parse.GetValue(client.CaFile)?.FullName ?? NonEmpty("BROKER_CA_FILE"),
            parse.GetValue(client.ClientCertificate)?.FullName ?? NonEmpty("BROKER_CLIENT_CERT"),
            parse.GetValue(client.ClientKey)?.FullName ?? NonEmpty("BROKER_CLIENT_KEY"));
        var key = MuxArguments.Key(parse.GetValue(client.Broker), tls.CaFile, tls.CertificateFile, tls.KeyFile, Environment.GetEnvironmentVariable);
        var url = key.Split('\n')[0];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var broker) || (broker.Scheme != Uri.UriSchemeHttp && broker.Scheme != Uri.UriSchemeHttps))
        {
            return (key, tls, $"'{url}' is not an http(s) URL");
        }

        var (handler, problem) = tls.CreateHandler();
        handler?.Dispose();
        return (key, tls, problem);

        static string? NonEmpty(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? Path.GetFullPath(value) : null;
    }

    /// <summary><c>mux status</c> / <c>mux stop</c>: one request, its one line of answer.</summary>
    private static int Ask(ClientOptions client, ParseResult parse, byte kind)
    {
        var (key, _, problem) = Target(client, parse);
        if (problem is not null)
        {
            return ExitCodes.Report(ExitCodes.Usage, problem);
        }

        var uid = MuxNative.GetUid();
        var directory = MuxLocation.Directory(RequestScope.Variable);
        var socketPath = MuxLocation.SocketPath(directory, key);
        if (socketPath is null || MuxLocation.CheckDirectory(directory, uid) is not null || MuxLocation.CheckSocket(socketPath, uid) is not null
            || MuxClient.Connect(socketPath, uid) is not { } connection)
        {
            return ExitCodes.Report(NoMaster, $"no master serves {key.Split('\n')[0]}");
        }

        using (connection)
        {
            Span<byte> header = stackalloc byte[5];
            if (!MuxNative.SendWithDescriptors(connection.Handle, kind, []) || !connection.ReceiveExactly(header) || header[0] != MuxProtocol.Text)
            {
                return ExitCodes.Report(NoMaster, $"no master serves {key.Split('\n')[0]}");
            }

            var text = new byte[Math.Clamp(System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header[1..]), 0, 4096)];
            var read = 0;
            int n;
            while (read < text.Length && (n = connection.Receive(text.AsSpan(read))) > 0)
            {
                read += n;
            }

            StandardStreams.Out.WriteLine(System.Text.Encoding.UTF8.GetString(text, 0, read));
            return 0;
        }
    }

    /// <summary>A background master leaves the caller's session (a Ctrl-C there is not its) and its descriptors (a pipe a caller reads to its end).</summary>
    private static void Detach()
    {
        _ = MuxNative.SetSid();
        using var devNull = new FileStream("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        var fd = (int)devNull.SafeFileHandle.DangerousGetHandle();
        for (var target = 0; target <= 2; target++)
        {
            _ = MuxNative.Dup2(fd, target);
        }
    }
}
