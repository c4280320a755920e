using Broker.Postgres;
using Broker.Server.Auth;
using Broker.Server.Logging;
using Broker.Server.Recording;
using Grpc.Core;
using Npgsql;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Replicas.Forwarding;

/// <summary>
/// Answers for sessions another replica holds: finds the holder in the registry and forwards the call to it over gRPC,
/// with a forward assertion naming the caller this replica authenticated (the holder re-applies its own authorization to
/// that caller). The gRPC handlers call it when a session is not theirs and only translate. Streams are passed on
/// frame by frame (one read, one write: the holder sends no faster than the caller reads), and the caller's
/// cancellation cancels the call to the holder. A holder that is silent in the registry or cannot be reached is a
/// clear UNAVAILABLE naming it; what the holder answers (NOT_FOUND, PERMISSION_DENIED, …) passes through unchanged.
/// </summary>
internal sealed partial class SessionForwarder
{
    /// <summary>The longest a forwarded unary call may take (a terminate waits up to 10 s on the holder).</summary>
    private static readonly TimeSpan UnaryDeadline = TimeSpan.FromSeconds(30);

    private readonly ReplicaRegistry? _registry;
    private readonly ReplicaIdentity? _identity;
    private readonly ClusterTrust _trust;
    private readonly ReplicaChannels _channels;
    private readonly PostgresRecordingIndex? _index;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionForwarder> _logger;

    /// <summary>
    /// A forwarder over the registry and the shared recording index; with no registry (the embedded broker), every
    /// session is local, and with no shared index no other replica's ended session is listed.
    /// </summary>
    public SessionForwarder(ReplicaRegistry? registry, ReplicaIdentity? identity, ClusterTrust trust, ReplicaChannels channels, PostgresRecordingIndex? index, TimeProvider time, ILogger<SessionForwarder> logger)
    {
        _registry = registry;
        _index = index;
        _identity = identity;
        _trust = trust;
        _channels = channels;
        _time = time;
        _logger = logger;
    }

    /// <summary>This replica's id, or null for the embedded broker.</summary>
    public string? ReplicaId => _identity?.Id;

    /// <summary>
    /// The replica holding <paramref name="sessionId"/> when it is another one, or null: the embedded broker, a call
    /// that was itself forwarded (answered where it arrived, never sent on), a session no replica holds, or one held here.
    /// </summary>
    public async Task<SessionLocation?> LocateAsync(string sessionId, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_registry is null || _identity is null || context.IsForwarded() || string.IsNullOrEmpty(sessionId))
        {
            return null;
        }

        var location = await ReadRegistryAsync(() => _registry.LocateAsync(sessionId, context.CancellationToken)).ConfigureAwait(false);
        if (location is null || location.Session.ReplicaId == _identity.Id)
        {
            return null;
        }

        if (_trust.Assertions is null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"session '{sessionId}' is held by replica '{location.Session.ReplicaId}'; this replica has no cluster key (server.replica.cluster_key_file) to forward the call with"));
        }

        return location.HolderAlive ? location : throw Unreachable(location, $"it has not heartbeated since {location.Holder.HeartbeatAt:u}");
    }

    /// <summary>The live sessions of other replicas that <paramref name="maySee"/> allows (owner issuer, subject), skipping <paramref name="local"/>.</summary>
    public async Task<IReadOnlyList<V1.SessionInfo>> ListElsewhereAsync(IReadOnlySet<string> local, Func<string, string, bool> maySee, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(maySee);
        if (_registry is null)
        {
            return [];
        }

        var rows = await ReadRegistryAsync(() => _registry.ListAsync(null, null, cancellationToken)).ConfigureAwait(false);
        return [.. rows.Where(r => !local.Contains(r.Session.Id) && maySee(r.Session.OwnerIssuer, r.Session.OwnerSubject)).Select(r => RegistryDetails.Info(r.Session))];
    }

    /// <summary>
    /// The newest <paramref name="limit"/> ended sessions of every replica from the shared recording index (those of
    /// <paramref name="owner"/> only, when given), as every replica lists them; empty for the embedded broker.
    /// </summary>
    public async Task<IReadOnlyList<V1.SessionInfo>> ListEndedAsync((string Issuer, string Subject)? owner, int limit, CancellationToken cancellationToken)
    {
        if (_index is null)
        {
            return [];
        }

        // The index's API is synchronous (the embedded one is a local file): off the request's thread.
        var rows = await ReadRegistryAsync(() => Task.Run(() => _index.Ended(owner, limit), cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => EndedSessions.Info(r.Entry, r.Replica))];
    }

    /// <summary>GetSession, answered by the holder.</summary>
    public Task<V1.GetSessionResponse> GetAsync(SessionLocation holder, V1.GetSessionRequest request, ServerCallContext context) =>
        UnaryAsync(holder, ForwardedMethods.GetSession, request.SessionId, context, (channel, options) => new V1.SessionService.SessionServiceClient(channel).GetSessionAsync(request, options));

    /// <summary>TerminateSession, carried out by the holder.</summary>
    public Task<V1.TerminateSessionResponse> TerminateAsync(SessionLocation holder, V1.TerminateSessionRequest request, ServerCallContext context) =>
        UnaryAsync(holder, ForwardedMethods.TerminateSession, request.SessionId, context, (channel, options) => new V1.SessionService.SessionServiceClient(channel).TerminateSessionAsync(request, options));

    /// <summary>Attach (with its catch-up when asked), streamed from the holder.</summary>
    public Task AttachAsync(SessionLocation holder, V1.AttachRequest request, IServerStreamWriter<V1.AttachResponse> responses, ServerCallContext context) =>
        StreamAsync(holder, ForwardedMethods.Attach, request.SessionId, context, responses, (channel, options) => new V1.RecordingService.RecordingServiceClient(channel).Attach(request, options));

    /// <summary>GetRecording of a live session (its row, size, roles and verification so far), answered by the holder.</summary>
    public Task<V1.GetRecordingResponse> GetRecordingAsync(SessionLocation holder, V1.GetRecordingRequest request, ServerCallContext context) =>
        UnaryAsync(holder, ForwardedMethods.GetRecording, request.SessionId, context, (channel, options) => new V1.RecordingService.RecordingServiceClient(channel).GetRecordingAsync(request, options));

    /// <summary>A live session's recorded events as the holder has them so far, streamed from the holder.</summary>
    public Task StreamRecordingAsync(SessionLocation holder, V1.StreamRecordingRequest request, IServerStreamWriter<V1.StreamRecordingResponse> responses, ServerCallContext context) =>
        StreamAsync(holder, ForwardedMethods.StreamRecording, request.SessionId, context, responses, (channel, options) => new V1.RecordingService.RecordingServiceClient(channel).StreamRecording(request, options));

    /// <summary>A live session's recording as the holder has it so far, streamed from the holder.</summary>
    public Task DownloadAsync(SessionLocation holder, V1.DownloadRecordingRequest request, IServerStreamWriter<V1.DownloadRecordingResponse> responses, ServerCallContext context) =>
        StreamAsync(holder, ForwardedMethods.DownloadRecording, request.SessionId, context, responses, (channel, options) => new V1.RecordingService.RecordingServiceClient(channel).DownloadRecording(request, options));

    private async Task<T> UnaryAsync<T>(SessionLocation holder, string method, string sessionId, ServerCallContext context, Func<ChannelBase, CallOptions, AsyncUnaryCall<T>> call)
    {
        var deadline = _time.GetUtcNow().UtcDateTime + UnaryDeadline;
        var options = Options(method, sessionId, context, context.Deadline < deadline ? context.Deadline : deadline);
        LogForwarded(_logger, method, new LoggedText(sessionId), holder.Session.ReplicaId);
        try
        {
            using var pending = call(_channels.For(holder.Holder.Address), options);
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded && !context.CancellationToken.IsCancellationRequested)
        {
            throw Unreachable(holder, e.Status.Detail);
        }
    }

    private async Task StreamAsync<T>(SessionLocation holder, string method, string sessionId, ServerCallContext context, IServerStreamWriter<T> responses, Func<ChannelBase, CallOptions, AsyncServerStreamingCall<T>> call)
    {
        var options = Options(method, sessionId, context, context.Deadline == DateTime.MaxValue ? null : context.Deadline);
        LogForwarded(_logger, method, new LoggedText(sessionId), holder.Session.ReplicaId);
        try
        {
            using var pending = call(_channels.For(holder.Holder.Address), options);
            while (await pending.ResponseStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                await responses.WriteAsync(pending.ResponseStream.Current, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && !context.CancellationToken.IsCancellationRequested)
        {
            throw Unreachable(holder, e.Status.Detail);
        }
    }

    private CallOptions Options(string method, string sessionId, ServerCallContext context, DateTime? deadline)
    {
        // The assertion stands in for the caller's token, which never leaves this replica.
        var assertion = _trust.Assertions!.Issue(context.AuthenticatedCaller(), method, sessionId);
        return new CallOptions(new Metadata { { ForwardedMethods.Header, assertion } }, deadline, context.CancellationToken);
    }

    private static RpcException Unreachable(SessionLocation holder, string why) => new(new Status(StatusCode.Unavailable,
        $"session '{holder.Session.Id}' is held by replica '{holder.Session.ReplicaId}' ({holder.Holder.Address}), which is unreachable: {why}"));

    private static async Task<T> ReadRegistryAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the replicas' shared database cannot be read: {e.Message}"));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forwarded {Method} for session {SessionId} to replica {Replica}")]
    private static partial void LogForwarded(ILogger logger, string method, LoggedText sessionId, string replica);
}
