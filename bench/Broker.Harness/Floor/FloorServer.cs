using System.Net;
using Broker.Harness.Systems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broker.Harness.Floor;

/// <summary>
/// The harness run as one of the transport floor's gRPC servers (<c>--echo-server grpc-echo|grpc-pty --listen URL</c>;
/// bench/run starts them with <c>--floor-systems</c>): the broker's own gRPC interactive-shell method on Kestrel with the
/// broker's Kestrel and HTTP/2 settings, and nothing else. <c>grpc-echo</c> sends each input frame's bytes back as an
/// output frame; <c>grpc-pty</c> relays them to a bash on a PTY of the broker's own PTY layer and its output back. No
/// authentication, policy, masking, recording or observers: what the concurrency measurement reads of their CPU is the
/// cost of the transport alone, and of the transport and a PTY round trip. <c>lean-pty</c> is no gRPC server: see
/// <see cref="LeanServer"/>.
/// </summary>
internal static class FloorServer
{
    /// <summary>The first argument that makes the harness a floor server.</summary>
    public const string Flag = "--echo-server";

    public const string EchoMode = "grpc-echo";

    public const string PtyMode = "grpc-pty";

    /// <summary>
    /// grpc-echo with Kestrel's inline socket scheduling (the broker's <c>Broker.Server.InlineSocketScheduling</c> switch);
    /// bench/run also gives it the runtime's inline socket completions: the gRPC floor with the fewest thread hops
    /// Kestrel offers.
    /// </summary>
    public const string EchoInlineMode = "grpc-echo-inline";

    /// <summary>
    /// No gRPC at all: a framed protocol of its own over TCP whose socket and PTY the PTY layer's epoll loop drives
    /// (<see cref="LeanServer"/>), what a transport of the broker's own for interactive streams would cost.
    /// </summary>
    public const string LeanMode = "lean-pty";

    /// <summary>Every floor server's mode, in the order the report lists them.</summary>
    public static IReadOnlyList<string> Modes { get; } = [EchoMode, PtyMode, EchoInlineMode, LeanMode];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 4 || args[0] != Flag || args[2] != "--listen" || !Modes.Contains(args[1])
            || !Uri.TryCreate(args[3], UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(url.Host, out var address))
        {
            await Console.Error.WriteLineAsync($"Broker.Harness: usage: {Flag} {string.Join('|', Modes)} --listen http://ADDRESS:PORT").ConfigureAwait(false);
            return 2;
        }

        var mode = args[1];
        if (mode == LeanMode)
        {
            return await LeanServer.RunAsync(address, url.Port, url).ConfigureAwait(false);
        }

        // As BrokerHost builds the broker's host: no appsettings watcher, warnings only.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, address, url.Port));
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = mode == EchoInlineMode);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxSendMessageSize = null;
            grpc.EnableDetailedErrors = false;
        });
        if (mode == PtyMode)
        {
            builder.Services.AddSingleton(_ => new PtySessionService(DirectPtySystem.ShellTarget(PtyMode)));
        }

        await using var app = builder.Build();
        if (mode == PtyMode)
        {
            app.MapGrpcService<PtySessionService>();
        }
        else
        {
            app.MapGrpcService<EchoSessionService>();
        }

        await Console.Error.WriteLineAsync($"{mode}: listening on {url}").ConfigureAwait(false);
        // Until SIGTERM (bench/run's cleanup), as the broker runs.
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The broker's Kestrel settings (BrokerHost.ConfigureKestrel with the default connection limits; the broker is not
    /// referenced, it is an executable): HTTP/2 only on cleartext, as gRPC clients speak it with prior knowledge, the
    /// same flow-control windows, 100 streams per connection, and Kestrel's default socket scheduling (the broker's
    /// inline switch is off unless set in its runtimeconfig; grpc-echo-inline turns it on). The broker's connection admission is left out: it acts
    /// when a connection opens and on its first authenticated call, never per frame.
    /// </summary>
    private static void ConfigureKestrel(KestrelServerOptions kestrel, IPAddress address, int port)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        kestrel.Limits.Http2.MaxStreamsPerConnection = 100;
        kestrel.Limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
        kestrel.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
        kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http2);
    }
}
