using Broker.Core.Sessions;
using Broker.Server.Auth;
using Broker.Server.Composition;
using Broker.Server.Replicas.Forwarding;
using Grpc.Core;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>
/// The gRPC face of sessions. It only translates: <see cref="SessionComposer"/> opens sessions (<c>Interact</c> in
/// SessionGrpcService.Interact.cs, <c>Exec</c> in SessionGrpcService.Exec.cs), <see cref="SessionVisibility"/> says
/// who may see and end which (SessionGrpcService.Management.cs; a session another replica holds is answered by
/// <see cref="SessionForwarder"/>), and everything the client receives comes from the session's event stream (this file).
/// </summary>
internal sealed partial class SessionGrpcService : V1.SessionService.SessionServiceBase
{
    private static readonly TimeSpan FirstFrameTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan HalfCloseGrace = TimeSpan.FromSeconds(2);
    private static readonly WriteOptions BufferedWrite = new(WriteFlags.BufferHint);
    private readonly SessionComposer _composer;
    private readonly SessionVisibility _visibility;
    private readonly SessionTokenWatches _tokens;
    private readonly SessionForwarder _forwarder;
    private readonly Audit.AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionGrpcService> _logger;

    public SessionGrpcService(SessionComposer composer, SessionVisibility visibility, SessionTokenWatches tokens, SessionForwarder forwarder, Audit.AuditTrail audit, TimeProvider time, ILogger<SessionGrpcService> logger)
    {
        _composer = composer;
        _visibility = visibility;
        _tokens = tokens;
        _forwarder = forwarder;
        _audit = audit;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Cancels the input pump and waits for it: Kestrel reuses a finished call's request stream for
    /// the next call on the connection, so no read may still be pending when the handler returns.
    /// </summary>
    /// <remarks>
    /// A session the broker ended because it is shutting down first gets <see cref="HalfCloseGrace"/> for its client
    /// to end its request stream: the web server closes the connection as soon as the last call returns, and an
    /// HTTP/2 client whose request side is still open drops what it has received but not yet read (the exit frame)
    /// when the connection closes. Clients that read the exit frame end their side at once; others cost the grace.
    /// </remarks>
    private async Task StopReadingAsync(Task pump, CancellationTokenSource stop, Session session)
    {
        if (session.ExitStatus?.Reason == SessionEndReason.BrokerShutdown)
        {
            await Task.WhenAny(pump, Task.Delay(HalfCloseGrace, _time, stop.Token)).ConfigureAwait(false);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await pump.ConfigureAwait(false);
    }

    private static V1.SessionOpened Opened(Session session)
    {
        var opened = new V1.SessionOpened { SessionId = session.Id, Target = session.Target };
        opened.Roles.AddRange(session.Roles);
        return opened;
    }

    private static InputResult Signal(Session session, V1.Signal signal) =>
        signal.FromProto() is { } mapped ? session.Signal(mapped) : InputResult.Rejected($"unknown signal {signal}");

    /// <summary>
    /// Writes the session's events to the client in order, then waits for the session to have ended (exit recorded,
    /// recording sealed); the call's status goes out then, while the session's account is still being released.
    /// </summary>
    private async Task ForwardEventsAsync<T>(Session session, IServerStreamWriter<T> responses, Func<SessionEvent, T> map, CancellationToken cancellationToken)
    {
        var events = session.Events;
        // One waiter for the call: the channel's own wait with the call's token would allocate one per echo.
        using var waiter = new SessionEventWaiter(events, cancellationToken);
        while (await waiter.WaitToReadAsync().ConfigureAwait(false))
        {
            while (events.TryRead(out var item))
            {
                // A burst of queued events costs one flush: every frame but the burst's last is only buffered.
                responses.WriteOptions = events.TryPeek(out _) ? BufferedWrite : null;
                await responses.WriteAsync(map(item), CancellationToken.None).ConfigureAwait(false);
                // The frame was serialized by the write: the output's pooled array can go back.
                (item as SessionEvent.Output)?.Release();
            }
        }

        await session.Ended.ConfigureAwait(false);
        if (session.ExitStatus is { } exit)
        {
            LogEnded(_logger, session.Id, exit.Code, exit.Signal, exit.Reason);
        }
    }

    private static async Task<T> ReadFirstAsync<T>(IAsyncStreamReader<T> requests, ServerCallContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(FirstFrameTimeout);
        try
        {
            if (!await requests.MoveNext(timeout.Token).ConfigureAwait(false))
            {
                throw Invalid("the stream ended before its first frame");
            }
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Invalid($"no first frame within {FirstFrameTimeout.TotalSeconds:0} s");
        }

        return requests.Current;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} ended: exit code {ExitCode}, signal {Signal}, {Reason}")]
    private static partial void LogEnded(ILogger logger, string sessionId, int exitCode, int signal, SessionEndReason reason);
}
