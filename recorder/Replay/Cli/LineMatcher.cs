using System.Text.RegularExpressions;

namespace Replay.Cli;

/// <summary>
/// The search expression. Compiled for the non-backtracking engine when the expression allows it,
/// so its time stays linear in the text whatever the text (the recordings are written by the party
/// being audited); expressions that need backtracking (back-references, lookarounds) run with a
/// timeout, and a line that times out is skipped and counted, never fatal.
/// </summary>
internal sealed class LineMatcher
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly Regex _regex;

    private LineMatcher(Regex regex) => _regex = regex;

    private long _timedOut;

    public static bool TryCreate(string pattern, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LineMatcher? matcher, out string? error)
    {
        matcher = null;
        error = null;
        try
        {
            try
            {
                matcher = new LineMatcher(new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, Timeout));
            }
            catch (NotSupportedException)
            {
                matcher = new LineMatcher(new Regex(pattern, RegexOptions.CultureInvariant, Timeout));
            }

            return true;
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Lines skipped because the expression timed out on them since the last call; resets the count.</summary>
    public long TakeTimeouts()
    {
        var count = _timedOut;
        _timedOut = 0;
        return count;
    }

    /// <summary>The first match that ends after <paramref name="newFrom"/>, or null.</summary>
    public Match? Match(string text, int newFrom)
    {
        try
        {
            for (var match = _regex.Match(text); match.Success; match = match.NextMatch())
            {
                if (newFrom == 0 || match.Index + match.Length > newFrom)
                {
                    return match;
                }
            }

            return null;
        }
        catch (RegexMatchTimeoutException)
        {
            _timedOut++;
            return null;
        }
    }
}
