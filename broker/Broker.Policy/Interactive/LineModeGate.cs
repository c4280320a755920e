namespace Broker.Policy;

/// <summary>What the broker decided about a command typed at the prompt.</summary>
/// <param name="Allowed">Whether the command goes to the shell.</param>
/// <param name="Message">For a refused command: the line shown on the agent's terminal.</param>
/// <param name="Handle">Identifies the command when its exit status arrives (see <see cref="ILineModeGate.Finished"/>).</param>
/// <param name="SecretOutput">What the allowed command prints is secret (it reads a secret or mints a credential): the session masks it.</param>
public readonly record struct LineVerdict(bool Allowed, string? Message, long Handle, bool SecretOutput = false)
{
    /// <summary>
    /// The command waits for people (the policy said <c>review</c>): it neither runs nor is refused yet. The gate
    /// reports the outcome later through <see cref="LineDiscipline.HoldEnded"/>.
    /// </summary>
    public bool Held { get; init; }

    /// <summary>A command held for approval, known by <paramref name="handle"/>.</summary>
    public static LineVerdict Holding(long handle) => new(false, null, handle) { Held = true };
}

/// <summary>Decides commands typed in a line-mode session and hears how they ended.</summary>
public interface ILineModeGate
{
    /// <summary>Decides one complete command line.</summary>
    LineVerdict Decide(string command);

    /// <summary>The command given <paramref name="handle"/> finished with <paramref name="exitStatus"/>.</summary>
    void Finished(long handle, int exitStatus);

    /// <summary>Ctrl-C while the command given <paramref name="handle"/> is held: take its approval request back.</summary>
    void Withdraw(long handle);
}

/// <summary>One effect of the line discipline, to be carried out in order.</summary>
public abstract record LineAction
{
    private LineAction()
    {
    }

    /// <summary>
    /// Bytes for the shell's terminal; <paramref name="Record"/> is false for the secret sync line, <paramref name="Typed"/>
    /// is true for keys going to a running program (which may be reading a password) rather than a command line the broker decided.
    /// </summary>
    public sealed record ToShell(byte[] Data, bool Record, bool Typed = false) : LineAction;

    /// <summary>
    /// Bytes shown to the agent as terminal output (the broker's own echo and messages). <paramref name="Echo"/> is true
    /// for the line editor's echo of keys the agent typed: what the agent already knows, so its session may release it
    /// without waiting for the masker's hold delay.
    /// </summary>
    public sealed record ToAgent(byte[] Data, bool Echo = false) : LineAction;

    /// <summary>
    /// Turns the terminal's own echo on (a program is about to run: it comes on before the shell can read the command's
    /// last line end, so a program that turns echo off, <c>read -s</c>, always does so after it) or off (the broker edits the line).
    /// </summary>
    public sealed record TerminalEcho(bool Enabled) : LineAction;

    /// <summary>Everything the next command prints, up to the next prompt, is secret.</summary>
    public sealed record SecretOutput : LineAction;

    /// <summary>Ctrl-C while the command given <paramref name="Handle"/> is held: its approval request is taken back.</summary>
    public sealed record Withdraw(long Handle) : LineAction;
}
