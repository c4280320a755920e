using System.CommandLine;
using System.Globalization;
using AgentClient.Terminal;
using Broker.Protocol.V1;
using Recorder;

namespace AgentClient.Cli;

/// <summary><c>recordings list</c>: the broker's recording index, for observers and operators (to find sessions to attach to or replay).</summary>
internal static class RecordingsCommand
{
    public static Command Create(ClientOptions client)
    {
        var subject = new Option<string?>("--subject") { Description = "Only sessions of this token subject" };
        var target = new Option<string?>("--target") { Description = "Only sessions on this target" };
        var denied = new Option<bool>("--denied") { Description = "Only sessions with a denied command" };
        var approval = new Option<bool>("--approval") { Description = "Only sessions with a command held for approval" };
        var limit = new Option<uint>("--limit") { Description = "At most this many (default 100)" };
        var list = new Command("list", "List recorded sessions, newest first, with their state and decision counts") { subject, target, denied, approval, limit };
        list.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var response = await new RecordingService.RecordingServiceClient(broker.Connection.Channel).ListRecordingsAsync(
                new ListRecordingsRequest
                {
                    Subject = parse.GetValue(subject) ?? string.Empty,
                    Target = parse.GetValue(target) ?? string.Empty,
                    HasDenied = parse.GetValue(denied),
                    HasApproval = parse.GetValue(approval),
                    Limit = parse.GetValue(limit),
                },
                cancellationToken: ct).ConfigureAwait(false);
            var output = StandardStreams.Out;
            output.WriteLine($"{"SESSION",-36} {"SUBJECT",-20} {"TARGET",-12} {"KIND",-6} {"STATE",-8} {"STARTED",-20} {"EXIT",-5} CMDS ALLOW DENY REVIEW");
            foreach (var r in response.Recordings)
            {
                var exit = r.HasExitCode ? r.ExitCode.ToString(CultureInfo.InvariantCulture) : "-";
                output.WriteLine($"{UntrustedText.Neutralize(r.SessionId),-36} {UntrustedText.Neutralize(r.Subject),-20} {UntrustedText.Neutralize(r.Target),-12} {UntrustedText.Neutralize(r.Kind),-6} {State(r.State),-8} {r.StartedAt.ToDateTimeOffset():yyyy-MM-dd HH:mm:ss}  {exit,-5} {r.CommandCount,4} {r.AllowedCount,5} {r.DeniedCount,4} {r.ReviewCount,6}");
            }

            return 0;
        }, ct));
        return new Command("recordings", "Find recorded sessions (observers and operators)") { list };
    }

    private static string State(RecordingState state) => state switch
    {
        RecordingState.Running => "running",
        RecordingState.Crashed => "crashed",
        _ => "ended",
    };
}
