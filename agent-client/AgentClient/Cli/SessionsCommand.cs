using System.CommandLine;
using System.Globalization;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Grpc.Core;
using Recorder;

namespace AgentClient.Cli;

/// <summary><c>sessions list</c>, <c>sessions terminate</c>.</summary>
internal static class SessionsCommand
{
    public static Command Create(ClientOptions client)
    {
        var all = new Option<bool>("--all") { Description = "Include sessions that have ended" };
        var list = new Command("list", "List your sessions (every session for observers and operators), newest first") { all };
        list.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var sessions = new SessionService.SessionServiceClient(broker.Connection.Channel);
            var response = await sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = parse.GetValue(all) }, cancellationToken: ct).ConfigureAwait(false);
            var output = StandardStreams.Out;
            // A broker running as replicas names each session's holder; the embedded broker has no such column.
            var replicas = response.Sessions.Any(s => s.ReplicaId.Length > 0);
            output.WriteLine($"{"SESSION",-36} {"SUBJECT",-20} {"TARGET",-12} {"KIND",-12} {"STATE",-8} {"STARTED",-20} " + (replicas ? "EXIT REPLICA" : "EXIT"));
            foreach (var s in response.Sessions)
            {
                var exit = s.Exit is null ? "-" : s.Exit.Code.ToString(CultureInfo.InvariantCulture);
                output.WriteLine($"{UntrustedText.Neutralize(s.SessionId),-36} {UntrustedText.Neutralize(s.Subject),-20} {UntrustedText.Neutralize(s.Target),-12} {Kind(s.Kind),-12} {State(s.State),-8} {s.StartedAt.ToDateTimeOffset():yyyy-MM-dd HH:mm:ss}  "
                    + (replicas ? $"{exit,-4} {UntrustedText.Neutralize(s.ReplicaId)}" : exit));
            }

            return 0;
        }, ct));

        var id = new Argument<string>("session") { Description = "Session id" };
        var reason = new Option<string?>("--reason") { Description = "Shown to the session's client" };
        var terminate = new Command("terminate", $"End a session now and kill its processes (exit {ExitCodes.AlreadyEnded} if it had already ended)") { id, reason };
        terminate.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var sessions = new SessionService.SessionServiceClient(broker.Connection.Channel);
            try
            {
                var response = await sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = parse.GetValue(id)!, Reason = parse.GetValue(reason) ?? string.Empty }, cancellationToken: ct).ConfigureAwait(false);
                var session = response.Session;
                StandardStreams.Out.WriteLine(session.State == SessionState.Running
                    ? $"{session.SessionId} is being ended (its processes have not all gone yet)"
                    : $"{session.SessionId} terminated (exit {session.Exit?.Code})");
                return 0;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                return ExitCodes.Report(ExitCodes.AlreadyEnded, e.Status.Detail);
            }
        }, ct));

        return new Command("sessions", "Inspect and end sessions") { list, terminate };
    }

    private static string Kind(SessionKind kind) => kind switch
    {
        SessionKind.Interactive => "interactive",
        SessionKind.Exec => "exec",
        // A command still waiting for a decision on another replica, before its session opens.
        _ => "-",
    };

    private static string State(SessionState state) => state == SessionState.Running ? "running" : "ended";
}
