using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Broker.Core.Interactive;

namespace Broker.Ssm.Interactive;

/// <summary>How installing the prompt markers in a remote shell went.</summary>
/// <param name="Installed">Whether the shell now reports its prompt with the session's markers.</param>
/// <param name="BashVersion">The instance's bash (major.minor), or null when it has none.</param>
/// <param name="Error">Why the markers could not be installed.</param>
internal sealed record RemoteShellSetupResult(bool Installed, string? BashVersion, string? Error)
{
    /// <summary>A line for the session's recording: what the setup did, without its secrets.</summary>
    public string Summary => Installed
        ? $"line-mode prompt markers installed through the session's first input (bash {BashVersion}; history off and echo off for the setup input, which the agent did not see)"
        : $"line-mode prompt markers not installed: {Error}";
}

/// <summary>
/// Installs a session's prompt markers in the shell an SSM session started, through its input
/// (see <see cref="RemoteShellScripts"/>), and recognises when that has taken effect: everything the
/// remote terminal prints until then (the shell's first prompt, the echo of the first line, the
/// setup markers) is consumed here and never reaches the agent; the session's output starts at the
/// first prompt marker carrying the session's nonce, which is left in the pipe for the session's
/// own marker filter. Line mode needs bash 4.4 or later on the instance (the login shell may be
/// another one: the setup replaces it with bash); without it, line mode is refused.
/// </summary>
internal sealed class RemoteShellSetup
{
    private const byte Bell = 0x07;

    private readonly ShellIntegration _integration;
    private readonly string _tag;
    private readonly Func<ReadOnlyMemory<byte>, ValueTask<bool>> _send;

    /// <param name="integration">The session's markers and sync line.</param>
    /// <param name="tag">The per-session setup tag (also the exit-status marker's).</param>
    /// <param name="send">Sends bytes to the remote terminal as typed input.</param>
    public RemoteShellSetup(ShellIntegration integration, string tag, Func<ReadOnlyMemory<byte>, ValueTask<bool>> send)
    {
        _integration = integration;
        _tag = tag;
        _send = send;
    }

    /// <summary>Runs the setup, reading the remote terminal's output from <paramref name="output"/>.</summary>
    /// <param name="output">The terminal output; on success it is left positioned at the first prompt marker.</param>
    /// <param name="cancellationToken">Ends the wait (the caller's timeout).</param>
    /// <returns>The outcome.</returns>
    public async Task<RemoteShellSetupResult> RunAsync(PipeReader output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            if (!await SendAsync(RemoteShellScripts.ProbeLine(_tag)).ConfigureAwait(false))
            {
                return Failed(null, "the session ended before the shell could be set up");
            }

            var probe = await ReadSetupMarkerAsync(output, cancellationToken).ConfigureAwait(false);
            if (probe is null)
            {
                return Failed(null, "the remote shell ended during the setup");
            }

            if (!TryParseVersion(probe, out var version))
            {
                return await RefuseAsync(output, null, "the instance has no bash", cancellationToken).ConfigureAwait(false);
            }

            var versionText = version.ToString(2);
            if (version < RemoteShellScripts.MinimumBash)
            {
                return await RefuseAsync(output, versionText, $"the instance's bash {versionText} is older than {RemoteShellScripts.MinimumBash.ToString(2)} (no PS0)", cancellationToken).ConfigureAwait(false);
            }

            if (!await SendAsync(RemoteShellScripts.ExecLine(_tag, _integration.Enforced)).ConfigureAwait(false) ||
                await ReadSetupMarkerAsync(output, cancellationToken).ConfigureAwait(false) != "ready" ||
                !await _send(RemoteShellScripts.ScriptInput(_integration, _tag)).ConfigureAwait(false))
            {
                return Failed(versionText, "bash did not start on the instance");
            }

            return await SkipToFirstPromptAsync(output, cancellationToken).ConfigureAwait(false)
                ? new RemoteShellSetupResult(true, versionText, null)
                : Failed(versionText, "the remote shell ended during the setup");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Failed(null, "the remote shell did not answer the setup in time (is it a POSIX shell?)");
        }
    }

    private static RemoteShellSetupResult Failed(string? version, string error) => new(false, version, error);

    private static bool TryParseVersion(string text, out Version version)
    {
        var parts = text.Split('.');
        if (parts.Length == 2 &&
            int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            version = new Version(major, minor);
            return true;
        }

        version = new Version(0, 0);
        return false;
    }

    private async Task<RemoteShellSetupResult> RefuseAsync(PipeReader output, string? version, string reason, CancellationToken cancellationToken)
    {
        // A raw terminal still runs (audited on a best-effort basis, like a local shell without
        // bash): the probe's echo-off is undone, and the session goes on once it has been (what the
        // agent types next must be echoed). Line mode is refused and the caller ends the session.
        if (!_integration.Enforced && await SendAsync(RemoteShellScripts.RestoreLine(_tag)).ConfigureAwait(false))
        {
            await ReadSetupMarkerAsync(output, cancellationToken).ConfigureAwait(false);
        }

        return Failed(version, $"line mode follows the prompt of bash {RemoteShellScripts.MinimumBash.ToString(2)} or later; {reason}");
    }

    private ValueTask<bool> SendAsync(string text) => _send(Encoding.UTF8.GetBytes(text));

    /// <summary>Consumes output up to and including the next setup marker; returns its word, or null when the output ended.</summary>
    private async Task<string?> ReadSetupMarkerAsync(PipeReader output, CancellationToken cancellationToken)
    {
        var prefix = Encoding.ASCII.GetBytes("\u001b]133;S;" + _tag + ";");
        while (true)
        {
            var result = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var bytes = buffer.ToArray();
            var start = bytes.AsSpan().IndexOf(prefix);
            if (start >= 0)
            {
                var end = bytes.AsSpan(start + prefix.Length).IndexOf(Bell);
                if (end >= 0)
                {
                    var word = Encoding.ASCII.GetString(bytes, start + prefix.Length, end);
                    output.AdvanceTo(buffer.GetPosition(start + prefix.Length + end + 1));
                    return word;
                }

                output.AdvanceTo(buffer.GetPosition(start), buffer.End);
            }
            else
            {
                // Keep a tail that could be the start of the marker; the rest was never for the agent.
                output.AdvanceTo(buffer.GetPosition(Math.Max(0, bytes.Length - (prefix.Length - 1))), buffer.End);
            }

            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Consumes output up to the first prompt marker with the session's nonce, leaving the marker; false when the output ended first.</summary>
    private async Task<bool> SkipToFirstPromptAsync(PipeReader output, CancellationToken cancellationToken)
    {
        var marker = Encoding.ASCII.GetBytes("\u001b]133;A;" + _integration.Nonce + ";");
        while (true)
        {
            var result = await output.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var bytes = buffer.ToArray();
            var start = bytes.AsSpan().IndexOf(marker);
            if (start >= 0)
            {
                // Consumed and examined up to the marker: the session's next read starts there at once.
                output.AdvanceTo(buffer.GetPosition(start));
                return true;
            }

            output.AdvanceTo(buffer.GetPosition(Math.Max(0, bytes.Length - (marker.Length - 1))), buffer.End);
            if (result.IsCompleted)
            {
                return false;
            }
        }
    }
}
