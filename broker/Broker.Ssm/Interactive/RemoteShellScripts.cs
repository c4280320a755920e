using System.Text;
using Broker.Core.Interactive;
using Broker.Ssm.Targets;

namespace Broker.Ssm.Interactive;

/// <summary>
/// The input that turns the shell an SSM session starts (sh, bash, dash…) into a bash that reports
/// its prompt with the session's markers, as a local line-mode shell does. The broker cannot hand
/// the remote shell a pipe, so the start-up script travels as typed input in three steps:
/// <list type="number">
/// <item>a line with no secret in it: terminal echo off, history off (and not saved), and a setup
/// marker saying which bash the instance has;</item>
/// <item>a line that replaces the shell with a clean bash (no rc files) whose first prompt hook
/// prints a "ready" marker and reads the script from the terminal up to a NUL byte;</item>
/// <item>the script itself, read by <c>read</c>, never by the shell's line reader: it goes through
/// no history, is never echoed, and unsets the variable that held it before anything else runs.</item>
/// </list>
/// The markers are <c>ESC ] 133 ; S ; tag ; word BEL</c>, with a per-session tag; the secrets (the
/// marker nonce and the sync token) appear only in step 3.
/// </summary>
internal static class RemoteShellScripts
{
    /// <summary>The oldest bash that has PS0, which the command-start marker needs.</summary>
    public static readonly Version MinimumBash = new(4, 4);

    /// <summary>Step 1. A leading space keeps it out of history where HISTCONTROL ignores spaces.</summary>
    public static string ProbeLine(string tag) =>
        " stty -echo 2>/dev/null; command set +o history 2>/dev/null; unset HISTFILE; " +
        $"printf '\\033]133;S;%s;%s\\007' {tag} " +
        "\"$(bash --norc --noprofile -c 'echo \"${BASH_VERSINFO[0]}.${BASH_VERSINFO[1]}\"' 2>/dev/null || echo none)\"\n";

    /// <summary>Step 2: a clean bash, line editing off in line mode (the terminal reads whole lines).</summary>
    public static string ExecLine(string tag, bool enforced) =>
        $" exec env PROMPT_COMMAND='printf \"\\033]133;S;%s;ready\\007\" {tag}; IFS= read -r -d \"\" __b; eval \"$__b\"' " +
        (enforced ? "bash --norc --noprofile --noediting -i\n" : "bash --norc --noprofile -i\n");

    /// <summary>Step 1's undo, when the setup gives up on a raw terminal: echo back on, then a "restored" marker.</summary>
    public static string RestoreLine(string tag) => $" stty echo 2>/dev/null; printf '\\033]133;S;%s;restored\\007' {tag}\n";

    /// <summary>Step 3: the script, then the NUL that ends <c>read -d ""</c> and a newline that lets the terminal pass it on.</summary>
    public static byte[] ScriptInput(ShellIntegration integration, string tag)
    {
        ArgumentNullException.ThrowIfNull(integration);
        var script = integration.Enforced ? EnforcedScript(integration.Nonce, SyncToken(integration), tag) : AuditScript(integration.Nonce, tag);
        return [.. Encoding.UTF8.GetBytes(script), 0, (byte)'\n'];
    }

    /// <summary>The token of the integration's sync line (the line is a newline, the token, a newline).</summary>
    public static string SyncToken(ShellIntegration integration)
    {
        ArgumentNullException.ThrowIfNull(integration);
        return Encoding.ASCII.GetString(integration.SyncLine.Span).Trim('\n');
    }

    // As the local script (ShellIntegration), plus what a shell the broker did not start needs:
    // the broker cannot switch the remote terminal's echo, so the prompt hook turns it off (the sync
    // line and the command the broker hands over are never echoed) and PS0 turns it back on for the
    // program and prints the line end a local terminal's echo would have (the broker's echo of an
    // allowed command leaves it to the terminal); an exit trap reports the shell's own exit status,
    // which SSM does not carry.
    // As locally, end of file in the sync loop (a Ctrl-D typed while the last command was ending) ends the shell.
    private static string EnforcedScript(string nonce, string syncToken, string tag) =>
        $$"""
        unset __b
        trap 'printf "{{ExitStatusMarkerFilter.PrintfFormat(tag)}}" "$?"' EXIT
        export -n PROMPT_COMMAND
        set +H
        shopt -u expand_aliases
        unalias -a
        __broker_prompt() {
          local status=$? line
          command -p stty -echo 2>/dev/null
          printf '\033]133;A;%s;%s\007' '{{nonce}}' "$status"
          while :; do
            IFS= read -r line || { (( $? > 128 )) && continue; exit "$status"; }
            [[ $line == *'{{syncToken}}' ]] && break
          done
        }
        PROMPT_COMMAND=__broker_prompt
        PS0='$(command -p stty echo 2>/dev/null)'$'\n\e]133;C;{{nonce}}\a'
        PS1+=$'\e]133;B;{{nonce}}\a'
        PS2=
        readonly PROMPT_COMMAND PS0 PS1 PS2
        readonly -f __broker_prompt
        __broker_prompt

        """;

    private static string AuditScript(string nonce, string tag) =>
        $$"""
        unset __b
        trap 'printf "{{ExitStatusMarkerFilter.PrintfFormat(tag)}}" "$?"' EXIT
        export -n PROMPT_COMMAND
        command -p stty echo 2>/dev/null
        __broker_prompt() {
          printf '\033]133;A;%s;%s\007' '{{nonce}}' "$?"
        }
        PROMPT_COMMAND=__broker_prompt
        PS0=$'\e]133;C;{{nonce}}\a'
        PS1+=$'\\[\e]133;B;{{nonce}}\a\\]'
        __broker_prompt

        """;
}
