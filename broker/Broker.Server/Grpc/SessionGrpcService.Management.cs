using Broker.Core.Sessions;
using Broker.Policy;
using Broker.Server.Auth;
using Grpc.Core;
using Recorder;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

internal sealed partial class SessionGrpcService
{
    private const int MaxTerminateReasonLength = 1024;
    private static readonly TimeSpan TerminateWait = TimeSpan.FromSeconds(10);

    public override async Task<V1.ListSessionsResponse> ListSessions(V1.ListSessionsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var local = _visibility.Visible(caller, request.IncludeEnded).Select(s => s.ToInfo()).ToList();
        foreach (var info in local)
        {
            info.ReplicaId = _forwarder.ReplicaId ?? string.Empty;
        }

        // Other replicas' live sessions from the registry, under the same visibility rule: every replica lists the same.
        var elsewhere = await _forwarder.ListElsewhereAsync(
            local.Select(s => s.SessionId).ToHashSet(StringComparer.Ordinal), (issuer, subject) => _visibility.MaySee(caller, issuer, subject), context.CancellationToken).ConfigureAwait(false);
        var response = new V1.ListSessionsResponse();
        response.Sessions.AddRange(local.Concat(elsewhere).OrderByDescending(s => s.StartedAt.ToDateTimeOffset()).ThenBy(s => s.SessionId, StringComparer.Ordinal));
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
