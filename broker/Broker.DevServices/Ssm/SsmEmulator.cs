using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using Broker.Ssm.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Broker.DevServices.Ssm.Agent;
using Broker.DevServices.Ssm.Api;

namespace Broker.DevServices.Ssm;

/// <summary>
/// AWS Systems Manager Session Manager on 127.0.0.1: the SSM JSON 1.1 API (StartSession,
/// ResumeSession, TerminateSession, DescribeInstanceInformation) with SigV4 signatures checked
/// against the keys it knows, and the data-channel WebSocket behaving as the service and the agent
/// do, with this machine as the instance (a real shell on a PTY). Every call is recorded with the
/// key that signed it; every session can inject faults into its channel.
/// </summary>
public sealed class SsmEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, EmulatedSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ApiCall> _calls = new();
    private readonly string _homeRoot;
    private readonly bool _ownsHomeRoot;
    private readonly SsmApiHandler _api;
    private int _sessionCount;

    private SsmEmulator(WebApplication app, SsmEmulatorOptions options)
    {
        _app = app;
        Options = options;
        _ownsHomeRoot = options.HomeRoot is null;
        _homeRoot = options.HomeRoot ?? Directory.CreateTempSubdirectory("ssm-emulator-").FullName;
        _api = new SsmApiHandler(this);
    }

    /// <summary>How it behaves.</summary>
    public SsmEmulatorOptions Options { get; }

    /// <summary>The API endpoint (for <c>ServiceURL</c> or <c>--endpoint-url</c>).</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>The keys it accepts.</summary>
    public CredentialStore Credentials { get; } = new();

    /// <summary>Every API call answered, in order.</summary>
    public IReadOnlyList<ApiCall> Calls => _calls.ToArray();

    /// <summary>Every session started, in order.</summary>
    public IReadOnlyList<EmulatedSession> Sessions => [.. _sessions.Values.OrderBy(s => s.Number)];

    /// <summary>Starts an emulator.</summary>
    /// <param name="options">How it behaves (default: one instance, no faults, a free port).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator.</returns>
    public static async Task<SsmEmulator> StartAsync(SsmEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SsmEmulatorOptions();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var emulator = new SsmEmulator(app, options);
        app.UseWebSockets();
        app.Map("/v1/data-channel/{sessionId}", emulator.DataChannelAsync);
        app.MapPost("/", emulator._api.HandleAsync);
        app.MapGet("/_emulator/sessions", emulator.ListSessions);
        app.MapPost("/_emulator/sessions/{sessionId}/faults", emulator.SetFaultsAsync);
        app.MapPost("/_emulator/sessions/{sessionId}/cut", (string sessionId) => emulator.Control(sessionId, s => s.Cut()));
        app.MapPost("/_emulator/sessions/{sessionId}/pause", (string sessionId, int? ms) => emulator.Control(sessionId, s => s.PausePublication(TimeSpan.FromMilliseconds(ms ?? 1000))));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        emulator.ServiceUrl = new Uri(address.TrimEnd('/') + "/");
        return emulator;
    }

    /// <summary>Finds a session.</summary>
    /// <param name="sessionId">Its id.</param>
    /// <returns>The session, or null.</returns>
    public EmulatedSession? Session(string sessionId) => _sessions.TryGetValue(sessionId, out var session) ? session : null;

    /// <summary>Adds a key it accepts.</summary>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="secretAccessKey">The secret.</param>
    /// <param name="sessionToken">The session token of temporary credentials.</param>
    public void AddCredentials(string accessKeyId, string secretAccessKey, string? sessionToken = null) =>
        Credentials.Add(new EmulatorCredential(accessKeyId, secretAccessKey, sessionToken));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_sessions.Values.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_ownsHomeRoot)
        {
            try
            {
                Directory.Delete(_homeRoot, recursive: true);
            }
            catch (IOException)
            {
                // A program left behind may still hold a file; the directory is under the temporary root.
            }
        }
    }

    internal void Record(ApiCall call) => _calls.Enqueue(call);

    internal EmulatedSession CreateSession(EmulatedInstance instance, SessionDocument document, IReadOnlyDictionary<string, IReadOnlyList<string>> parameters, string startedBy)
    {
        var number = Interlocked.Increment(ref _sessionCount);
        var id = $"emulated-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(9))}";
        var home = Directory.CreateDirectory(Path.Combine(_homeRoot, id)).FullName;
        if (Options.RunAs is { } account)
        {
            // The account must reach its home through the emulator's (private) temporary root.
            Agent.InstanceAccount.OpenForTraversal(_homeRoot);
            account.Own(home);
        }

        var session = new EmulatedSession(id, instance, document, parameters, startedBy, home, number, Options);
        _sessions[id] = session;
        return session;
    }

    internal Uri StreamUrl(EmulatedSession session) =>
        new($"ws://{ServiceUrl.Authority}/v1/data-channel/{session.SessionId}?role=publish_subscribe&cell-number=emulated");

    private async Task DataChannelAsync(HttpContext context, string sessionId)
    {
        if (!context.WebSockets.IsWebSocketRequest || Session(sessionId) is not { } session)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var open = await ReadOpenFrameAsync(socket, context.RequestAborted).ConfigureAwait(false);
        if (open is null || !CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(open.TokenValue ?? ""), System.Text.Encoding.UTF8.GetBytes(session.CurrentToken)))
        {
            // The service drops a connection whose first frame does not carry the session's current token.
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "invalid token", CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await session.AttachAsync(socket).ConfigureAwait(false);
    }

    private static async Task<OpenDataChannelInput?> ReadOpenFrameAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        var length = 0;
        try
        {
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token).ConfigureAwait(false);
                length += result.Count;
            }
            while (!result.EndOfMessage && length < buffer.Length);

            return result.MessageType == WebSocketMessageType.Text
                ? JsonSerializer.Deserialize(buffer.AsSpan(0, length), SsmJsonContext.Default.OpenDataChannelInput)
                : null;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or JsonException)
        {
            return null;
        }
    }

    private IResult ListSessions() => Results.Json(
        Sessions.Select(s => new { s.SessionId, s.Instance.InstanceId, Document = s.Document.Name, State = s.State.ToString(), s.Connections, s.Counters }));

    private async Task<IResult> SetFaultsAsync(HttpContext context, string sessionId)
    {
        if (Session(sessionId) is not { } session)
        {
            return Results.NotFound();
        }

        var faults = await context.Request.ReadFromJsonAsync<Faults.FaultSettings>(context.RequestAborted).ConfigureAwait(false);
        if (faults is null)
        {
            return Results.BadRequest();
        }

        session.Faults = faults;
        return Results.Ok();
    }

    private IResult Control(string sessionId, Action<EmulatedSession> action)
    {
        if (Session(sessionId) is not { } session)
        {
            return Results.NotFound();
        }

        action(session);
        return Results.Ok();
    }
}
