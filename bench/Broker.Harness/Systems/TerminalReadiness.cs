using Broker.Harness.Terminals;

namespace Broker.Harness.Systems;

/// <summary>Waits for a fresh shell's prompt: some output, then a pause.</summary>
internal static class TerminalReadiness
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(150);

    public static async Task WaitForPromptAsync(ITerminal terminal, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (terminal.Output.Received == 0)
        {
            if (terminal.Output.Closed is { } reason)
            {
                throw new IOException($"the terminal closed before its prompt: {reason}");
            }

            await Task.Delay(10, timeout.Token).ConfigureAwait(false);
        }

        await terminal.Output.WaitForQuietAsync(s_quiet, TimeSpan.FromSeconds(10), timeout.Token).ConfigureAwait(false);
    }
}
