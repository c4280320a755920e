using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Broker.Policy;

namespace Broker.Server.Interactive;

/// <summary>
/// Runs a line-mode session's input: the agent's keystrokes and the shell's prompt markers go
/// through one queue into the <see cref="LineDiscipline"/>, whose effects (bytes to the shell,
/// echo to the agent, terminal echo on or off) are carried out in order, one event at a time.
/// </summary>
internal sealed class LineModeSession : ILineHoldSink
{
    /// <summary>Client input that may wait for the line editor; more waits in the client (see <see cref="QueuedInputBudget"/>).</summary>
    public const int MaxQueuedInputBytes = 256 * 1024;

    // Unbounded in items, bounded in bytes: keystrokes through the budget, markers by the shell's own prompts.
    private readonly StepQueue<Step> _steps = new();
    private readonly QueuedInputBudget _budget = new(MaxQueuedInputBytes);
    private readonly List<LineAction> _actions = [];
    private readonly ShellIntegration _integration;
    private readonly SecretOutputCapture _capture;
    private LineDiscipline? _discipline;

    public LineModeSession(ShellIntegration integration, Broker.Masking.SecretRegistry secrets)
    {
        _integration = integration;
        _capture = new SecretOutputCapture(secrets, integration.Nonce, marker => _steps.TryWrite(new Step.Marker(marker)));
    }

    /// <summary>
    /// The output filter that strips this session's prompt markers and feeds them here, and holds back the output
    /// of a command whose output is secret.
    /// </summary>
    public IOutputFilter CreateMarkerFilter() => _capture;

    /// <summary>Bytes of client input waiting for the line editor.</summary>
    public int QueuedInputBytes => _budget.Queued;

    /// <summary>Queues keystrokes from the agent, waiting while <see cref="MaxQueuedInputBytes"/> are already queued.</summary>
    public async ValueTask<InputResult> InputAsync(ReadOnlyMemory<byte> data, SessionLimits limits, CancellationToken cancellationToken)
    {
        if (limits.CheckInputFrame(data.Length) is { } problem)
        {
            return InputResult.Rejected(problem);
        }

        if (!await _budget.TakeAsync(data.Length, cancellationToken).ConfigureAwait(false))
        {
            return InputResult.Ended;
        }

        // The frame reader's thread runs the editor on its keys (their echo included) if it is waiting for them.
        if (_steps.WriteResumingHere(new Step.Keys(data)))
        {
            return InputResult.Accepted;
        }

        _budget.Return(data.Length);
        return InputResult.Ended;
    }

    public void Show(string text) => _steps.TryWrite(new Step.Agent(System.Text.Encoding.UTF8.GetBytes(text)));

    public void HoldEnded(long handle, LineVerdict verdict) => _steps.TryWrite(new Step.HoldEnded(handle, verdict));

    /// <summary>Queues the agent's end of input.</summary>
    public InputResult EndOfInput() => _steps.TryWrite(new Step.End()) ? InputResult.Accepted : InputResult.Ended;

    /// <summary>Processes steps until the session ends.</summary>
    public async Task RunAsync(Session session, ILineModeGate gate)
    {
        _discipline = new LineDiscipline(gate, _integration.SyncLine.Span);
        _ = session.Completion.ContinueWith(
            _ =>
            {
                _steps.Complete();
                _budget.Close();
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
        while (await _steps.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_steps.TryRead(out var step))
            {
                _actions.Clear();
                switch (step)
                {
                    case Step.Marker { Value.Kind: ShellMarkerKind.PromptStart } marker:
                        _discipline.PromptStarted(marker.Value.ExitStatus, _actions);
                        break;
                    case Step.Marker { Value.Kind: ShellMarkerKind.PromptEnd }:
                        _discipline.PromptShown(_actions);
                        break;
                    case Step.Marker:
                        _discipline.CommandStarted(_actions);
                        break;
                    case Step.Keys keys:
                        if (!_discipline.Input(keys.Data.Span, _actions))
                        {
                            session.PostNotice(NoticeKind.FrameRejected, "INVALID_ARGUMENT: too much input is waiting for the prompt; input dropped");
                        }

                        break;
                    case Step.End:
                        _discipline.EndOfInput(_actions);
                        break;
                    case Step.Agent agent:
                        _actions.Add(new LineAction.ToAgent(agent.Data));
                        break;
                    case Step.HoldEnded ended:
                        _discipline.HoldEnded(ended.Handle, ended.Verdict, _actions);
                        break;
                }

                foreach (var action in _actions)
                {
                    switch (action)
                    {
                        case LineAction.ToShell toShell:
                            var record = !toShell.Record ? InputRecording.None : toShell.Typed ? InputRecording.Typed : InputRecording.Command;
                            await session.WriteToTargetAsync(toShell.Data, record, CancellationToken.None).ConfigureAwait(false);
                            break;
                        case LineAction.ToAgent toAgent:
                            await session.ShowAsync(OutputChannel.Terminal, toAgent.Data, toAgent.Echo).ConfigureAwait(false);
                            break;
                        case LineAction.TerminalEcho echo:
                            session.SetTerminalEcho(echo.Enabled);
                            break;
                        case LineAction.SecretOutput:
                            _capture.Arm();
                            break;
                        case LineAction.Withdraw withdraw:
                            gate.Withdraw(withdraw.Handle);
                            break;
                    }
                }

                // The keys are spent only once what they produced reached the shell: a program that does not
                // read its input holds the writes above, and so the client.
                if (step is Step.Keys spent)
                {
                    _budget.Return(spent.Data.Length);
                }
            }
        }
    }

    private abstract record Step
    {
        public sealed record Marker(ShellMarker Value) : Step;

        public sealed record Keys(ReadOnlyMemory<byte> Data) : Step;

        public sealed record End : Step;

        /// <summary>The broker's own text for the agent's terminal (a held line's notice).</summary>
        public sealed record Agent(byte[] Data) : Step;

        public sealed record HoldEnded(long Handle, LineVerdict Verdict) : Step;
    }
}
