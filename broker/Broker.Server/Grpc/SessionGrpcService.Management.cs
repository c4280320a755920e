using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Auth;
using Broker.Server.Replicas.Forwarding;
using Grpc.Core;
using Recorder;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

internal sealed partial class SessionGrpcService
{
    private const int MaxTerminateReasonLength = 1024;
    private static readonly TimeSpan TerminateWait = TimeSpan.FromSeconds(10);

    // As many ended sessions as the embedded broker remembers (SessionManager's default), from every replica.
    private const int EndedListed = 1000;

    public override async Task<V1.ListSessionsResponse> ListSessions(V1.ListSessionsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var response = new V1.ListSessionsResponse();
        if (_forwarder.ReplicaId is not { } replica)
        {
            response.Sessions.AddRange(_visibility.Visible(caller, request.IncludeEnded).Select(s => s.ToInfo()).OrderByDescending(s => s.StartedAt.ToDateTimeOffset()).ThenBy(s => s.SessionId, StringComparer.Ordinal));
            return response;
        }

        // As replicas, every replica lists the same: running sessions as their holder describes them (this replica's from
        // memory, the others' from the registry, which carries the same fields), ended ones from the shared recording index.
        var visible = _visibility.Visible(caller, request.IncludeEnded).ToList();
        var running = visible.Where(s => s.IsRunning).Select(s => RegistryDetails.ListedAlike(s.ToInfo(), replica)).ToList();
        var listed = running.Select(s => s.SessionId).ToHashSet(StringComparer.Ordinal);
        var elsewhere = await _forwarder.ListElsewhereAsync(listed, (issuer, subject) => _visibility.MaySee(caller, issuer, subject), context.CancellationToken).ConfigureAwait(false);
        listed.UnionWith(elsewhere.Select(s => s.SessionId));
        IEnumerable<V1.SessionInfo> ended = [];
        if (request.IncludeEnded)
        {
            var owner = _visibility.SeesEveryone(caller) ? ((string, string)?)null : (caller.Issuer, caller.Subject);
            var indexed = (await _forwarder.ListEndedAsync(owner, EndedListed, context.CancellationToken).ConfigureAwait(false)).Where(s => !listed.Contains(s.SessionId)).ToList();
            listed.UnionWith(indexed.Select(s => s.SessionId));
            // A session that ended here a moment ago and whose recording row is not written yet (or was never recorded).
            ended = indexed.Concat(visible.Where(s => !s.IsRunning && !listed.Contains(s.Id)).Select(s => RegistryDetails.ListedAlike(s.ToInfo(), replica)));
        }

        response.Sessions.AddRange(running.Concat(elsewhere).Concat(ended).OrderByDescending(s => s.StartedAt.ToDateTimeOffset()).ThenBy(s => s.SessionId, StringComparer.Ordinal));
        return response;
    }

    public override async Task<V1.GetSessionResponse> GetSession(V1.GetSessionRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        if (_visibility.Find(caller, request.SessionId) is { } session)
        {
            var info = session.ToInfo();
            info.ReplicaId = _forwarder.ReplicaId ?? string.Empty;
            return new V1.GetSessionResponse { Session = info };
        }

        return await _forwarder.LocateAsync(request.SessionId, context).ConfigureAwait(false) is { } holder
            ? await _forwarder.GetAsync(holder, request, context).ConfigureAwait(false)
            : throw NotFound(request.SessionId);
    }

    public override async Task<V1.TerminateSessionResponse> TerminateSession(V1.TerminateSessionRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        if (_visibility.Find(caller, request.SessionId) is not { } session)
        {
            return await _forwarder.LocateAsync(request.SessionId, context).ConfigureAwait(false) is { } holder
                ? await _forwarder.TerminateAsync(holder, request, context).ConfigureAwait(false)
                : throw NotFound(request.SessionId);
        }

        if (!_visibility.MayEnd(caller, session))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"session '{session.Id}' is not yours: observers may watch sessions, only operators may end other identities' sessions"));
        }

        if (session.ExitStatus is { } ended)
        {
            // Nothing to kill: say so rather than answer as if this call had ended it.
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"session '{session.Id}' had already ended (exit code {ended.Code}, {ended.Reason}); nothing was terminated"));
        }

        // The reason reaches the agent's terminal, observers and the log: only as visible text, and one line.
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "no reason given" : UntrustedText.Neutralize(request.Reason, MaxTerminateReasonLength);
        var subject = UntrustedText.Neutralize(caller.Subject);
        LogTerminated(_logger, session.Id, subject, reason);
        _audit.Post(Audit.AuditProjection.Terminated(session.Id, caller.Issuer, caller.Subject, reason));
        session.Terminate(SessionEndReason.Terminated, $"terminated by {subject}: {reason}");

        // The kill is under way either way: a session still ending after the wait is reported as it
        // stands (RUNNING), never as a failed call, so an operator does not take a slow kill for a refused one.
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        await Task.WhenAny(session.Completion, Task.Delay(TerminateWait, _time, stopWaiting.Token)).ConfigureAwait(false);
        await stopWaiting.CancelAsync().ConfigureAwait(false);
        var terminated = session.ToInfo();
        terminated.ReplicaId = _forwarder.ReplicaId ?? string.Empty;
        return new V1.TerminateSessionResponse { Session = terminated };
    }

    // A session the caller may not see is reported exactly like one that does not exist.
    private static RpcException NotFound(string id) => new(new Status(StatusCode.NotFound, $"session '{id}' does not exist"));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} terminated by {Subject}: {Reason}")]
    private static partial void LogTerminated(ILogger logger, string sessionId, string subject, string reason);
}
