using System.Security.Claims;
using System.Text.Json;
using System.Threading.Channels;
using Broker.Policy;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Broker.Server.Mcp.Relay;

/// <summary>
/// One MCP session opened through the relay: its own <see cref="McpServer"/> (the tools registered for the broker,
/// as /mcp serves them) reading a <see cref="RelaySessionTransport"/>, owned by the identity that opened it.
/// </summary>
internal sealed class RelaySession : IAsyncDisposable
{
    private readonly RelaySessionTransport _transport;
    private readonly McpServer _server;
    private readonly Task _running;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly int _callCapacity;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<RequestId, RelayCallTransport> _calls = new();
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo CancelledTypeInfo = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CancelledNotificationParams));
    private int _inFlight;
    private long _lastActivity;

    public RelaySession(string id, CallerIdentity owner, McpServerOptions options, IServiceProvider services, ILoggerFactory loggers, TimeProvider time, int callCapacity)
    {
        Id = id;
        Owner = owner;
        _time = time;
        _callCapacity = callCapacity;
        _lastActivity = time.GetTimestamp();
        _transport = new RelaySessionTransport(id, loggers.CreateLogger<RelaySessionTransport>());
        _server = McpServer.Create(_transport, options, loggers, services);
        _running = _server.RunAsync(_stop.Token);
    }

    public string Id { get; }

    /// <summary>Who opened the session; only the same issuer and subject may use it.</summary>
    public CallerIdentity Owner { get; }

    /// <summary>Whether <paramref name="caller"/> is the identity that opened the session.</summary>
    public bool BelongsTo(CallerIdentity caller) => caller.Issuer == Owner.Issuer && caller.Subject == Owner.Subject;

    /// <summary>True when no call is in flight and the last one ended at least <paramref name="timeout"/> ago.</summary>
    public bool IdleFor(TimeSpan timeout) => Volatile.Read(ref _inFlight) == 0 && _time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= timeout;

    /// <summary>
    /// Hands one client message to the server as <paramref name="user"/> and, for a request, passes every server
    /// message that belongs to it to <paramref name="write"/> until the response. When the call is cancelled before
    /// the response, the server is told the request was cancelled, so the tool call stops too.
    /// </summary>
    /// <returns>False when the session ended before the message could be delivered.</returns>
    public async Task<bool> RelayAsync(JsonRpcMessage message, ClaimsPrincipal user, Func<JsonRpcMessage, Task> write, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            var request = message as JsonRpcRequest;
            await using var call = new RelayCallTransport(Id, request?.Id ?? default, _callCapacity);
            message.Context = new JsonRpcMessageContext { RelatedTransport = call, User = user };
            if (request is not null)
            {
                _calls[request.Id] = call;
            }

            try
            {
                if (!await _transport.DeliverAsync(message, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                if (request is null)
                {
                    EndCancelledCall(message);
                    return true;
                }

                return await ForwardAsync(request, call, write, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (request is not null)
                {
                    _calls.TryRemove(new KeyValuePair<RequestId, RelayCallTransport>(request.Id, call));
                }
            }
        }
        finally
        {
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Passes the server's messages for <paramref name="request"/> on until its response, the call's end or the session's.</summary>
    private async Task<bool> ForwardAsync(JsonRpcRequest request, RelayCallTransport call, Func<JsonRpcMessage, Task> write, CancellationToken cancellationToken)
    {
        // The session ending (idle sweep, broker stopping) ends the call too: its server will never answer.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        try
        {
            await foreach (var reply in call.Outgoing.ReadAllAsync(either.Token).ConfigureAwait(false))
            {
                await write(reply).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CancelAsync(request.Id).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// MCP answers a cancelled request with nothing, so after the client's <c>notifications/cancelled</c> the call
    /// that carried the request is ended here; otherwise it would stay open until the client dropped it.
    /// </summary>
    private void EndCancelledCall(JsonRpcMessage message)
    {
        if (message is JsonRpcNotification { Method: NotificationMethods.CancelledNotification, Params: { } parameters }
            && Deserialize(parameters) is { } cancelled
            && _calls.TryGetValue(cancelled.RequestId, out var call))
        {
            call.End();
        }
    }

    private static CancelledNotificationParams? Deserialize(System.Text.Json.Nodes.JsonNode parameters)
    {
        try
        {
            return parameters.Deserialize(CancelledTypeInfo) as CancelledNotificationParams;
        }
        catch (JsonException)
        {
            // The server decides what to make of a malformed notification; the relay just does not end a call for it.
            return null;
        }
    }

    /// <summary>Tells the server the client gave up on a request, as the client's own <c>notifications/cancelled</c> would.</summary>
    private async Task CancelAsync(RequestId request)
    {
        var cancelled = new JsonRpcNotification
        {
            Method = NotificationMethods.CancelledNotification,
            Params = JsonSerializer.SerializeToNode(
                new CancelledNotificationParams { RequestId = request, Reason = "the relay call ended" },
                CancelledTypeInfo),
        };
        try
        {
            await _transport.DeliverAsync(cancelled, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The session is ending: every request in it is cancelled with it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is how a session ends.
        }
        catch (ChannelClosedException)
        {
            // The transport closed under the reader: the same ending.
        }

        // The stop source is not disposed: a call still leaving reads its token.
        await _server.DisposeAsync().ConfigureAwait(false);
    }
}
