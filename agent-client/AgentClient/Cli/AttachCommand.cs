using System.CommandLine;
using AgentClient.Connection;
using Broker.Protocol.V1;
using Grpc.Core;

namespace AgentClient.Cli;

/// <summary>
/// <c>attach SESSION [--from-start]</c>: watches a session read-only. The output goes to stdout
/// byte for byte, as the agent received it; what the broker adds (commands and their decisions,
/// notices, the exit) goes to stderr. Ends when the session does.
/// </summary>
internal static class AttachCommand
{
    public static Command Create(ClientOptions client)
    {
        var id = new Argument<string>("session") { Description = "Session id" };
        var fromStart = new Option<bool>("--from-start") { Description = "Replay the session from its start, then follow it live" };
        var command = new Command("attach", "Watch a session read-only (observers and operators)") { id, fromStart };
        command.SetAction(async (parse, ct) =>
        {
            var (broker, token, problem) = client.Resolve(parse);
            if (problem is not null)
            {
                return ExitCodes.Report(ExitCodes.Usage, problem);
            }

            using var connection = BrokerConnection.Open(broker!, token!);
            var recordings = new RecordingService.RecordingServiceClient(connection.Channel);
            try
            {
                using var call = recordings.Attach(new AttachRequest { SessionId = parse.GetValue(id)!, FromStart = parse.GetValue(fromStart) }, cancellationToken: ct);
                return await RenderAsync(call.ResponseStream, ct).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                return 130;
            }
            catch (RpcException ex)
            {
                return ExitCodes.Report(ex);
            }
        });
        return command;
    }

    private static async Task<int> RenderAsync(IAsyncStreamReader<AttachResponse> frames, CancellationToken cancellationToken)
    {
        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();
        await using (stdout.ConfigureAwait(false))
        await using (stderr.ConfigureAwait(false))
        {
            var ended = false;
            await foreach (var frame in frames.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (frame.FrameCase)
                {
                    case AttachResponse.FrameOneofCase.Started:
                        var s = frame.Started;
                        Note($"watching session {s.SessionId} of {s.Subject} on {s.Target} ({(s.Live ? "live" : "ended")})");
                        break;
                    case AttachResponse.FrameOneofCase.Gap:
                        Note($"records {frame.Gap.FromRecord}..{frame.Gap.ToRecord - 1} are missing: {frame.Gap.Reason}");
                        break;
                    case AttachResponse.FrameOneofCase.Event:
                        ended |= await RenderEventAsync(frame.Event, stdout, stderr, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }

            if (!ended)
            {
                Note("the stream ended before the session did");
                return ExitCodes.Unavailable;
            }

            return 0;
        }
    }

    /// <summary>Writes one event; true when it is the session's end.</summary>
    private static async Task<bool> RenderEventAsync(RecordingEvent recorded, Stream stdout, Stream stderr, CancellationToken cancellationToken)
    {
        switch (recorded.EventCase)
        {
            case RecordingEvent.EventOneofCase.Output:
                var target = recorded.Output.Stream == OutputStream.Stderr ? stderr : stdout;
                await target.WriteAsync(recorded.Output.Data.Memory, cancellationToken).ConfigureAwait(false);
                await target.FlushAsync(cancellationToken).ConfigureAwait(false);
                return false;
            case RecordingEvent.EventOneofCase.Command:
                var c = recorded.Command;
                Note($"command {c.Number}: {c.Text} -> {c.Decision}{(c.RuleId.Length > 0 ? $" by rule {c.RuleId}" : string.Empty)}");
                return false;
            case RecordingEvent.EventOneofCase.CommandExit:
                Note($"command {recorded.CommandExit.CommandNumber} exited with {recorded.CommandExit.ExitCode}");
                return false;
            case RecordingEvent.EventOneofCase.Approval:
                var a = recorded.Approval;
                Note($"approval {a.ApprovalId} {a.Kind}{(a.Approver.Length > 0 ? $" by {a.Approver}" : string.Empty)}{(a.Decision.Length > 0 ? $": {a.Decision}" : string.Empty)}");
                return false;
            case RecordingEvent.EventOneofCase.Notice:
                Note($"notice ({recorded.Notice.Kind}): {recorded.Notice.Message}");
                return false;
            case RecordingEvent.EventOneofCase.Exit:
                Note($"session ended: exit {recorded.Exit.Code} ({recorded.Exit.Reason})");
                return true;
            default:
                return false;
        }
    }

    private static void Note(string text) => Console.Error.WriteLine($"[attach] {text}");
}
