using System.Collections.Frozen;

namespace Broker.Policy;

/// <summary>
/// In line mode the broker follows the shell through its prompt hook and markers, which live in
/// the shell's own state. Built-ins that can show or change that state (variables, functions,
/// traps, options, key bindings) or run text the broker did not decide are refused there,
/// whatever a role's rules say: allowing them would let an agent learn the marker nonce or
/// unhook the prompt handshake.
/// </summary>
public static class ShellStateGuard
{
    /// <summary>The refusing rule's id, as reported in decisions and recordings.</summary>
    public const string RuleId = "(line-mode) shell-state";

    private static readonly FrozenSet<string> StateBuiltins = FrozenSet.ToFrozenSet(
        [
            "alias", "bind", "builtin", "caller", "compgen", "complete", "compopt", "declare", "disown", "enable",
            "eval", "exec", "export", "fc", "hash", "help", "history", "local", "readonly", "set", "shopt", "source", ".",
            "trap", "typeset", "unalias", "unset", "fg", "bg", "jobs", "wait", "suspend", "coproc", "mapfile", "readarray",
        ],
        StringComparer.Ordinal);

    /// <summary>Whether <paramref name="program"/> is one of the refused built-ins.</summary>
    public static bool IsStateBuiltin(string program) => StateBuiltins.Contains(program);

    /// <summary>
    /// Returns <paramref name="decision"/>, or a denial if it would run a refused built-in. <c>type</c> and <c>command</c>
    /// are allowed to describe programs (<c>type git</c>, <c>command -v git</c>) when every name they are given is
    /// literal and none is the broker's (its prompt function holds the sync token).
    /// </summary>
    public static Decision Apply(Decision decision, PolicyEngine engine, CommandInput command)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(command);
        var guarded = Apply(decision);
        if (guarded.Verdict == Verdict.Deny || !decision.Facts.Programs.Any(p => p is "type" or "command"))
        {
            return guarded;
        }

        foreach (var unit in engine.Analyze(command).Units)
        {
            foreach (var invocation in unit.Wrappers.Append(unit.Target))
            {
                if (invocation.Program is "type" or "command"
                    && invocation.Words.Any(w => !w.IsLiteral || (!w.Value.StartsWith('-') && w.Value.StartsWith("__broker", StringComparison.Ordinal))))
                {
                    return new Decision(Verdict.Deny, RuleId, $"'{invocation.Program}' may describe the broker's own shell functions here", decision.Role, decision.Facts);
                }
            }
        }

        return guarded;
    }

    /// <summary>Returns <paramref name="decision"/>, or a denial if it would run a refused built-in.</summary>
    public static Decision Apply(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.Verdict == Verdict.Deny || decision.Facts.Programs.FirstOrDefault(IsStateBuiltin) is not { } builtin)
        {
            return decision;
        }

        return new Decision(
            Verdict.Deny,
            RuleId,
            $"'{builtin}' can read or change the shell state that line mode depends on",
            decision.Role,
            decision.Facts);
    }
}
