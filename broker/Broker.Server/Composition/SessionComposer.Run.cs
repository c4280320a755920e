using Broker.Core.Sessions;
using Broker.Policy;

namespace Broker.Server.Composition;

/// <summary>
/// An exec run to completion for front ends that answer once (MCP's <c>run</c>): the same composition as a streamed
/// exec, the input written and closed, the output collected within bounds, and the command ended at a timeout.
/// </summary>
internal sealed partial class SessionComposer
{
    // Written in frames a streamed client would send: well under any target's input frame limit.
    private const int InputChunkBytes = 16 * 1024;

    /// <summary>Opens <paramref name="request"/>, feeds it <paramref name="stdin"/>, and waits for its end; a session the call stops waiting for is abandoned.</summary>
    public async Task<ExecRun> RunToCompletionAsync(CallerIdentity caller, SessionRequest.Exec request, ReadOnlyMemory<byte> stdin, ExecRunLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var outcome = await OpenAsync(caller, request, cancellationToken).ConfigureAwait(false);
        if (outcome is not SessionOutcome.Opened { Session.Session: var session })
        {
            return new ExecRun(outcome, null, false, CollectedOutput.Empty, CollectedOutput.Empty);
        }

        using var binding = new SessionCallBinding(session, cancellationToken);
        using var timeout = new CancellationTokenSource(limits.Timeout, _time);
        var timedOut = false;
        using var ending = timeout.Token.Register(() =>
        {
            timedOut = session.IsRunning;
            session.Terminate(SessionEndReason.Terminated, $"the command ran longer than {limits.Timeout.TotalSeconds:0} s; the broker ended it");
        });
        using var stopInput = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var input = FeedAsync(session, stdin, stopInput.Token);
        var stdout = new OutputCollector(limits.MaxOutputBytes);
        var stderr = new OutputCollector(limits.MaxOutputBytes);
        SessionEvent.Ended? exit = null;
        try
        {
            await foreach (var item in session.Events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (item)
                {
                    case SessionEvent.Output output:
                        (output.Stream == OutputChannel.Stderr ? stderr : stdout).Add(output.Data.Span);
                        output.Release();
                        break;
                    case SessionEvent.Notice { Kind: not NoticeKind.Setup } notice:
                        stderr.Add($"broker: {notice.Message}\n");
                        break;
                    case SessionEvent.Ended ended:
                        exit = ended;
                        break;
                }
            }

            await session.Ended.ConfigureAwait(false);
        }
        finally
        {
            await stopInput.CancelAsync().ConfigureAwait(false);
            await input.ConfigureAwait(false);
        }

        return new ExecRun(outcome, exit ?? session.ExitStatus, timedOut, stdout.Collect(), stderr.Collect());
    }

    /// <summary>Writes the whole input, then ends it (a command reading stdin sees end of file); stops when the session ends.</summary>
    private static async Task FeedAsync(Session session, ReadOnlyMemory<byte> stdin, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            for (var rest = stdin; !rest.IsEmpty; rest = rest[Math.Min(rest.Length, InputChunkBytes)..])
            {
                if ((await session.SendInputAsync(rest[..Math.Min(rest.Length, InputChunkBytes)], cancellationToken).ConfigureAwait(false)).Outcome != InputOutcome.Accepted)
                {
                    return;
                }
            }

            await session.EndInputAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The command ended (or the caller left) before it read all its input.
        }
    }
}
