using System.CommandLine;
using AgentClient.Connection;
using Broker.Protocol.V1;
using Grpc.Core;
using UntrustedText = Recorder.UntrustedText;

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
        var passEscapes = new Option<bool>("--pass-escapes") { Description = "Pass every escape sequence of the output to your terminal, including clipboard writes, title changes and queries (by default only sequences that draw pass)" };
        var command = new Command("attach", "Watch a session read-only (observers and operators)") { id, fromStart, passEscapes };
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
                return await RenderAsync(call.ResponseStream, parse.GetValue(passEscapes), ct).ConfigureAwait(false);
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

    private static async Task<int> RenderAsync(IAsyncStreamReader<AttachResponse> frames, bool passEscapes, CancellationToken cancellationToken)
    {
        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();
        await using (stdout.ConfigureAwait(false))
        await using (stderr.ConfigureAwait(false))
        {
            var output = new AttachOutput(stdout, stderr, passEscapes);
            var ended = false;
            await foreach (var frame in frames.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (frame.FrameCase)
                {
                    case AttachResponse.FrameOneofCase.Started:
                        var s = frame.Started;
                        Note($"watching session {Shown(s.SessionId)} of {Shown(s.Subject)} on {Shown(s.Target)} ({(s.Live ? "live" : "ended")})");
                        break;
                    case AttachResponse.FrameOneofCase.Gap:
                        Note($"records {frame.Gap.FromRecord}..{frame.Gap.ToRecord - 1} are missing: {Shown(frame.Gap.Reason)}");
                        break;
                    case AttachResponse.FrameOneofCase.Event:
                        ended |= await RenderEventAsync(frame.Event, output, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }

            if (await output.CompleteAsync(cancellationToken).ConfigureAwait(false) is { } filtered)
            {
                Note(filtered);
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
    private static async Task<bool> RenderEventAsync(RecordingEvent recorded, AttachOutput output, CancellationToken cancellationToken)
    {
        switch (recorded.EventCase)
        {
            case RecordingEvent.EventOneofCase.Output:
                await output.WriteAsync(recorded.Output.Stream == OutputStream.Stderr, recorded.Output.Data.Memory, cancellationToken).ConfigureAwait(false);
                return false;
            case RecordingEvent.EventOneofCase.Command:
                var c = recorded.Command;
                Note($"command {c.Number}: {Shown(c.Text)} -> {Shown(c.Decision)}{(c.RuleId.Length > 0 ? $" by rule {Shown(c.RuleId)}" : string.Empty)}");
                return false;
            case RecordingEvent.EventOneofCase.CommandExit:
                Note($"command {recorded.CommandExit.CommandNumber} exited with {recorded.CommandExit.ExitCode}");
                return false;
            case RecordingEvent.EventOneofCase.Approval:
                var a = recorded.Approval;
                Note($"approval {Shown(a.ApprovalId)} {Shown(a.Kind)}{(a.Approver.Length > 0 ? $" by {Shown(a.Approver)}" : string.Empty)}{(a.Decision.Length > 0 ? $": {Shown(a.Decision)}" : string.Empty)}");
                return false;
            case RecordingEvent.EventOneofCase.Notice:
                Note($"notice ({Shown(recorded.Notice.Kind)}): {Shown(recorded.Notice.Message)}");
                return false;
            case RecordingEvent.EventOneofCase.Exit:
                Note($"session ended: exit {recorded.Exit.Code} ({Shown(recorded.Exit.Reason)})");
                return true;
            default:
                return false;
        }
    }

    private static void Note(string text) => Console.Error.WriteLine($"[attach] {text}");

    /// <summary>Text that came from the session (its agent, its programs, its operator), made safe to print.</summary>
    private static string Shown(string text) => UntrustedText.Neutralize(text);
}
