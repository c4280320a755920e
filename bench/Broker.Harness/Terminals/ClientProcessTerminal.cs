using System.Diagnostics;

namespace Broker.Harness.Terminals;

/// <summary>
/// A system's client as a process of its own (<c>ssh -tt</c>, <c>agent-client shell</c>): keystrokes
/// into its stdin, the session's output out of its stdout.
/// </summary>
internal sealed class ClientProcessTerminal : ITerminal
{
    private readonly Process _process;
    private readonly Stream _input;
    private readonly Task _reader;
    private readonly Task<string> _errors;

    private ClientProcessTerminal(Process process)
    {
        _process = process;
        _input = process.StandardInput.BaseStream;
        _errors = process.StandardError.ReadToEndAsync();
        _reader = Task.Run(ReadAsync);
    }

    public OutputMonitor Output { get; } = new();

    public static ClientProcessTerminal Start(ProcessStartInfo start) =>
        new(Process.Start(start) ?? throw new IOException($"{start.FileName} did not start"));

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var output = _process.StandardOutput.BaseStream;
        var reason = "the client closed its output";
        try
        {
            int n;
            while ((n = await output.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                Output.OnOutput(buffer.AsSpan(0, n));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            reason = ex.Message;
        }

        if (_errors.IsCompleted)
        {
            reason += ": " + (await _errors.ConfigureAwait(false)).Trim();
        }

        Output.OnClosed(reason);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken)
    {
        await _input.WriteAsync(input, cancellationToken).ConfigureAwait(false);
        await _input.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone, or stuck beyond our patience: the script's cleanup kills what is left.
        }

        _process.Dispose();
    }
}
