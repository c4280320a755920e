using Broker.Harness.Terminals;

namespace Broker.Harness.Systems;

/// <summary>Waits for a fresh shell's prompt: some output, then a pause.</summary>
internal static class TerminalReadiness
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(150);

    /// <summary>Waits for the terminal's prompt and returns the terminal; a terminal that never gets there is disposed.</summary>
    public static async Task<ITerminal> ReadyAsync(ITerminal terminal, CancellationToken cancellationToken)
    {
        try
        {
            await WaitForPromptAsync(terminal, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await terminal.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return terminal;
    }

    private static async Task WaitForPromptAsync(ITerminal terminal, CancellationToken cancellationToken)
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
