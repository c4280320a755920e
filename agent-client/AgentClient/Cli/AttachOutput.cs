using System.Buffers;
using Recorder;

namespace AgentClient.Cli;

/// <summary>
/// Where an attached session's output goes: the observer's terminal. Each stream passes through a
/// <see cref="TerminalOutputFilter"/>, so what the agent's programs printed draws on the screen but
/// cannot write the observer's clipboard, change its title or make it type answers to queries into
/// the observer's shell (unless <c>--pass-escapes</c>).
/// </summary>
internal sealed class AttachOutput(Stream stdout, Stream stderr, bool passEscapes)
{
    private readonly TerminalOutputFilter _stdoutFilter = new(passEscapes);
    private readonly TerminalOutputFilter _stderrFilter = new(passEscapes);
    private readonly ArrayBufferWriter<byte> _filtered = new(16 * 1024);

    public async Task WriteAsync(bool toStderr, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _filtered.ResetWrittenCount();
        (toStderr ? _stderrFilter : _stdoutFilter).Write(data.Span, _filtered);
        await FlushAsync(toStderr ? stderr : stdout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends both streams (closing anything left open) and says what was kept from the terminal, if anything.</summary>
    public async Task<string?> CompleteAsync(CancellationToken cancellationToken)
    {
        foreach (var (filter, stream) in new[] { (_stdoutFilter, stdout), (_stderrFilter, stderr) })
        {
            _filtered.ResetWrittenCount();
            filter.Complete(_filtered);
            await FlushAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        var filtered = new[] { _stdoutFilter.Filtered, _stderrFilter.Filtered }.Where(f => f.Total > 0).Select(f => f.Describe()).ToList();
        return filtered.Count == 0 ? null : $"not passed to the terminal: {string.Join("; ", filtered)} (--pass-escapes passes them)";
    }

    private async Task FlushAsync(Stream target, CancellationToken cancellationToken)
    {
        if (_filtered.WrittenCount == 0)
        {
            return;
        }

        await target.WriteAsync(_filtered.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await target.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
