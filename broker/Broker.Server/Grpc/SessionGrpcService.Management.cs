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

    public override Task<V1.ListSessionsResponse> ListSessions(V1.ListSessionsRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var response = new V1.ListSessionsResponse();
        response.Sessions.AddRange(_visibility.Visible(caller, request.IncludeEnded).Select(s => s.ToInfo()));
        return Task.FromResult(response);
    }

    public override Task<V1.GetSessionResponse> GetSession(V1.GetSessionRequest request, ServerCallContext context) =>
        Task.FromResult(new V1.GetSessionResponse { Session = FindVisible(context.Caller(), request.SessionId).ToInfo() });

    public override async Task<V1.TerminateSessionResponse> TerminateSession(V1.TerminateSessionRequest request, ServerCallContext context)
    {
        var caller = context.Caller();
        var session = FindVisible(caller, request.SessionId);
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
        session.Terminate(SessionEndReason.Terminated, $"terminated by {subject}: {reason}");

        // The kill is under way either way: a session still ending after the wait is reported as it
        // stands (RUNNING), never as a failed call, so an operator does not take a slow kill for a refused one.
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        await Task.WhenAny(session.Completion, Task.Delay(TerminateWait, _time, stopWaiting.Token)).ConfigureAwait(false);
        await stopWaiting.CancelAsync().ConfigureAwait(false);
        return new V1.TerminateSessionResponse { Session = session.ToInfo() };
    }

    private Session FindVisible(CallerIdentity caller, string id) =>
        // A session the caller may not see is reported exactly like one that does not exist.
        _visibility.Find(caller, id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"session '{id}' does not exist"));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} terminated by {Subject}: {Reason}")]
    private static partial void LogTerminated(ILogger logger, string sessionId, string subject, string reason);
}
