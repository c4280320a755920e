using System.CommandLine;
using System.Globalization;
using AgentClient.Connection;
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
        var list = new Command("list", "List your sessions (every session for operators)") { all };
        list.SetAction((parse, ct) => WithClient(client, parse, async c =>
        {
            var response = await c.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = parse.GetValue(all) }, cancellationToken: ct).ConfigureAwait(false);
            Console.WriteLine($"{"SESSION",-36} {"SUBJECT",-20} {"TARGET",-12} {"KIND",-12} {"STATE",-8} {"STARTED",-20} EXIT");
            foreach (var s in response.Sessions)
            {
                var exit = s.Exit is null ? "-" : s.Exit.Code.ToString(CultureInfo.InvariantCulture);
                Console.WriteLine($"{UntrustedText.Neutralize(s.SessionId),-36} {UntrustedText.Neutralize(s.Subject),-20} {UntrustedText.Neutralize(s.Target),-12} {Kind(s.Kind),-12} {State(s.State),-8} {s.StartedAt.ToDateTimeOffset():yyyy-MM-dd HH:mm:ss}  {exit}");
            }

            return 0;
        }));

        var id = new Argument<string>("session") { Description = "Session id" };
        var reason = new Option<string?>("--reason") { Description = "Shown to the session's client" };
        var terminate = new Command("terminate", "End a session now and kill its processes") { id, reason };
        terminate.SetAction((parse, ct) => WithClient(client, parse, async c =>
        {
            var response = await c.TerminateSessionAsync(new TerminateSessionRequest { SessionId = parse.GetValue(id)!, Reason = parse.GetValue(reason) ?? string.Empty }, cancellationToken: ct).ConfigureAwait(false);
            Console.WriteLine($"{UntrustedText.Neutralize(response.Session.SessionId)} {State(response.Session.State)} exit {response.Session.Exit?.Code}");
            return 0;
        }));

        return new Command("sessions", "Inspect and end sessions") { list, terminate };
    }

    private static async Task<int> WithClient(ClientOptions client, ParseResult parse, Func<SessionService.SessionServiceClient, Task<int>> action)
    {
        var (broker, token, problem) = client.Resolve(parse);
        if (problem is not null)
        {
            return ExitCodes.Report(ExitCodes.Usage, problem);
        }

        using var connection = BrokerConnection.Open(broker!, token!);
        try
        {
            return await action(new SessionService.SessionServiceClient(connection.Channel)).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            return ExitCodes.Report(ex);
        }
    }

    private static string Kind(SessionKind kind) => kind == SessionKind.Interactive ? "interactive" : "exec";

    private static string State(SessionState state) => state == SessionState.Running ? "running" : "ended";
}
