using System.CommandLine;
using AgentClient.Terminal;
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
        command.SetAction((parse, ct) => BrokerCall.RunAsync(client, parse, async broker =>
        {
            var recordings = new RecordingService.RecordingServiceClient(broker.Connection.Channel);
            using var call = recordings.Attach(new AttachRequest { SessionId = parse.GetValue(id)!, FromStart = parse.GetValue(fromStart) }, cancellationToken: ct);

            // An observer types nothing: keys are read and dropped as they come (Ctrl-C still ends the
            // watch), and none is left behind for the user's own shell when the terminal is restored.
            using var terminal = LocalTerminal.Enter(TerminalMode.Watch);
            using var stopDiscarding = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var discard = terminal is null ? Task.CompletedTask : DiscardKeysAsync(stopDiscarding.Token);
            try
            {
                return await RenderAsync(call.ResponseStream, parse.GetValue(passEscapes), ct).ConfigureAwait(false);
            }
            finally
            {
                await stopDiscarding.CancelAsync().ConfigureAwait(false);
                await discard.ConfigureAwait(false);
            }
        }, ct));
        return command;
    }

    private static async Task<int> RenderAsync(IAsyncStreamReader<AttachResponse> frames, bool passEscapes, CancellationToken cancellationToken)
    {
        var output = new AttachOutput(StandardStreams.Output, StandardStreams.Error, passEscapes);
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

    private static async Task DiscardKeysAsync(CancellationToken cancellationToken)
    {
        var scratch = new byte[256];
        try
        {
            while (await StandardStreams.Input.ReadAsync(scratch, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Watching is over, or there is no terminal to read any more.
        }
    }

    private static void Note(string text) => StandardStreams.Err.WriteLine($"[attach] {text}");

    /// <summary>Text that came from the session (its agent, its programs, its operator), made safe to print.</summary>
    private static string Shown(string text) => UntrustedText.Neutralize(text);
}
