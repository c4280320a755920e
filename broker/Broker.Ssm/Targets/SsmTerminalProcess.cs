using System.IO.Pipelines;
using Broker.Core.Targets;
using Broker.Ssm.Api;
using Broker.Ssm.DataChannel;
using Broker.Ssm.Interactive;
using Broker.Ssm.Protocol;
using Microsoft.Extensions.Logging;

namespace Broker.Ssm.Targets;

/// <summary>
/// A shell on an instance through a Session Manager terminal session: keystrokes are input
/// frames, resizes are size frames, output arrives merged as a terminal's does. The shell's exit
/// status is known only when the broker installed its markers (line mode or an audited raw
/// terminal on bash); otherwise an orderly end reports 0.
/// </summary>
internal sealed class SsmTerminalProcess : SsmSessionProcess
{
    private static readonly byte[] EndOfFile = [0x04];

    private readonly PasswordPromptWatch? _prompt;

    internal SsmTerminalProcess(SsmSessionApi api, SsmDataChannel channel, ExitStatusMarkerFilter exitMarker, RemoteShellSetupResult? setup, ILogger logger)
        : base(api, channel, exitMarker, logger)
    {
        Setup = setup;
        _prompt = exitMarker.Prompt;
    }

    /// <summary>
    /// A read without echo, a line at a time, while the terminal waits at a password prompt (see <see cref="PasswordPromptWatch"/>):
    /// what is typed there is recorded redacted. Otherwise nothing is known of the remote terminal's modes.
    /// </summary>
    public override TerminalInputMode InputMode =>
        _prompt is { AtPasswordPrompt: true } ? TerminalInputMode.NoEchoLine : TerminalInputMode.NotATerminal;

    /// <summary>How installing the prompt markers went, when the session asked for them.</summary>
    public RemoteShellSetupResult? Setup { get; }

    public override PipeReader? ErrorOutput => null;

    protected override int ExitCodeWithoutMarker => 0;

    public override ValueTask<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Channel.SendAsync(PayloadType.Output, data, cancellationToken);

    public override async ValueTask CompleteInputAsync(CancellationToken cancellationToken) =>
        await Channel.SendAsync(PayloadType.Output, EndOfFile, cancellationToken).ConfigureAwait(false);

    public override bool Resize(int columns, int rows)
    {
        if (Channel.Closed.IsCompleted)
        {
            return false;
        }

        _ = Channel.SendSizeAsync(columns, rows, CancellationToken.None).AsTask();
        return true;
    }

    /// <summary>
    /// The remote terminal's echo cannot be switched from here; in line mode the remote prompt hook
    /// switches it (off at the prompt, on while a program runs), so the request is already carried out.
    /// </summary>
    public override bool SetEcho(bool enabled) => Setup is { Installed: true } && !Channel.Closed.IsCompleted;
}
