using System.Security.Cryptography;
using System.Text;

namespace Broker.Core.Interactive;

/// <summary>
/// The per-session secrets and start-up script that let the broker follow a bash prompt: the shell
/// prints OSC 133 style markers carrying a random nonce (prompt about to be read: <c>A</c> with the
/// last exit status, prompt printed: <c>B</c>, command read and starting: <c>C</c>), and before
/// each prompt it discards every line of pending input until the broker's one sync line arrives.
/// That handshake is what makes typeahead meant for a program that has since exited harmless: it
/// is thrown away instead of being read as a command. The nonce and the sync line never reach the
/// agent (the markers are stripped from the output, the sync line is not echoed or recorded).
/// </summary>
public sealed class ShellIntegration
{
    private ShellIntegration(string nonce, string syncToken, bool enforced)
    {
        Nonce = nonce;
        Enforced = enforced;
        SyncLine = Encoding.ASCII.GetBytes("\n" + syncToken + "\n");
        StartupScript = enforced ? BuildScript(nonce, syncToken) : BuildAuditScript(nonce);
        BashArguments = enforced ? EnforcedArguments : AuditedArguments;
    }

    /// <summary>True for line mode (commands decided before they run); false for a raw terminal whose commands are only audited.</summary>
    public bool Enforced { get; }

    /// <summary>The marker nonce.</summary>
    public string Nonce { get; }

    /// <summary>What the broker writes at each prompt (a newline first ends any partial typeahead line).</summary>
    public ReadOnlyMemory<byte> SyncLine { get; }

    /// <summary>The bash start-up script (sourced from fd 3 by the first prompt hook).</summary>
    public string StartupScript { get; }

    /// <summary>The bash arguments for this session; the start-up script is on fd 3.</summary>
    public IReadOnlyList<string> BashArguments { get; }

    // No rc files at all (not even the system-wide one, which may set prompts, aliases or completion):
    // the script arrives through the first PROMPT_COMMAND instead.
    private static readonly string[] EnforcedArguments = ["--norc", "--noprofile", "--noediting", "-i"];

    private static readonly string[] AuditedArguments = ["--norc", "--noprofile", "-i"];

    /// <summary>Environment for the shell: its first prompt hook reads the script from fd 3 (and the script replaces the hook).</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PROMPT_COMMAND"] = ". /dev/fd/3",
    };

    /// <summary>A fresh line-mode integration with its own random nonce and sync token.</summary>
    public static ShellIntegration Create() =>
        new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), "__broker_sync_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), enforced: true);

    /// <summary>
    /// A fresh integration for a raw terminal: readline stays on and nothing is held back; the
    /// markers only let the broker tell which keystrokes were typed at the prompt, to audit them.
    /// </summary>
    public static ShellIntegration CreateForAudit() =>
        new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), string.Empty, enforced: false);

    /// <summary>Whether <paramref name="shellPath"/> is a shell this integration supports.</summary>
    public static bool Supports(string shellPath) => Path.GetFileName(shellPath) == "bash";

    private static string BuildScript(string nonce, string syncToken) =>
        // No readline (--noediting): the terminal's canonical mode reads whole lines, so the text the
        // broker decided is the text bash gets. No history expansion and no aliases, for the same reason.
        // The fd-3 pipe is closed first so no later program can read the script back. The prompt is the
        // target's PS1 (or bash's default) with the marker added.
        // End of file while the hook waits for the sync line is a Ctrl-D no program read (typed while the last one
        // was ending): the shell ends with the last command's status, as bash reading it at its prompt would; a read
        // a signal interrupted (status above 128) only starts over.
        $$"""
        exec 3<&-
        export -n PROMPT_COMMAND
        set +H
        shopt -u expand_aliases
        unalias -a
        __broker_prompt() {
          local status=$? line
          printf '\033]133;A;%s;%s\007' '{{nonce}}' "$status"
          while :; do
            IFS= read -r line || { (( $? > 128 )) && continue; exit "$status"; }
            [[ $line == *'{{syncToken}}' ]] && break
          done
        }
        PROMPT_COMMAND=__broker_prompt
        PS0=$'\e]133;C;{{nonce}}\a'
        PS1+=$'\e]133;B;{{nonce}}\a'
        PS2=
        readonly PROMPT_COMMAND PS0 PS1 PS2
        readonly -f __broker_prompt
        __broker_prompt

        """;

    private static string BuildAuditScript(string nonce) =>
        // The prompt keeps whatever PS1 the target's environment sets; only the markers are added.
        $$"""
        exec 3<&-
        export -n PROMPT_COMMAND
        __broker_prompt() {
          printf '\033]133;A;%s;%s\007' '{{nonce}}' "$?"
        }
        PROMPT_COMMAND=__broker_prompt
        PS0=$'\e]133;C;{{nonce}}\a'
        PS1+=$'\\[\e]133;B;{{nonce}}\a\\]'
        __broker_prompt

        """;
}
