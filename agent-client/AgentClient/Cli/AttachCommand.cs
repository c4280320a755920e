using System.CommandLine;
using AgentClient.Terminal;
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
                return await RenderAsync(call.ResponseStream, ct).ConfigureAwait(false);
            }
            finally
            {
                await stopDiscarding.CancelAsync().ConfigureAwait(false);
                await discard.ConfigureAwait(false);
            }
        }, ct));
        return command;
    }

    private static async Task<int> RenderAsync(IAsyncStreamReader<AttachResponse> frames, CancellationToken cancellationToken)
    {
        var stdout = StandardStreams.Output;
        var stderr = StandardStreams.Error;
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
}
