using System.IO.Pipelines;
using Broker.Core.Targets;

namespace Broker.Harness.Terminals;

/// <summary>A shell on a PTY of our own, read straight from the PTY layer's pipe.</summary>
internal sealed class DirectTerminal : ITerminal
{
    private readonly ITargetProcess _process;
    private readonly Task _reader;

    public DirectTerminal(ITargetProcess process)
    {
        _process = process;
        _reader = Task.Run(ReadAsync);
    }

    public OutputMonitor Output { get; } = new();

    private async Task ReadAsync()
    {
        var reason = "the terminal's output ended";
        try
        {
            await DrainAsync(_process.Output, Output).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            reason = ex.Message;
        }

        Output.OnClosed(reason);
    }

    /// <summary>Reads a pipe to its end, handing each segment to <paramref name="monitor"/> when there is one.</summary>
    public static async Task DrainAsync(PipeReader reader, OutputMonitor? monitor)
    {
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            if (monitor is not null)
            {
                foreach (var segment in result.Buffer)
                {
                    monitor.OnOutput(segment.Span);
                }
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        if (!await _process.WriteInputAsync(input, cancellationToken).ConfigureAwait(false))
        {
            throw new IOException("the shell no longer takes input");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync().ConfigureAwait(false);
            await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The shell did not go in time; it was sent SIGKILL and the OS reaps it with us.
        }
    }
}
