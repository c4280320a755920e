using System.Collections.Frozen;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Tokens that announce themselves with a fixed prefix (GitHub, GitLab, Slack, <c>sk-</c> API keys, Stripe,
/// npm, Google API keys and the long tail in <see cref="TokenRules"/>): the prefix, case-sensitive, then at
/// least a minimum run of body characters. Distinctive prefixes are found glued to the text before them
/// (<c>MY_ghp_…</c>); short ones only where no letter or digit precedes them.
/// </summary>
internal sealed class TokenPrefixDetector : Detector
{
    // A glued prefix cut after fewer characters than this is not held: every word ending in `g` or `s` would
    // otherwise wait for the hold delay. At most that many characters of the prefix (never of the body) show.
    private const int ShortestGluedHold = 3;

    // Frozen: a head cut by the end of the text is looked up on most pushes, and a frozen table of short keys hashes
    // fewer of their characters.
    private readonly FrozenDictionary<string, TokenRule> _rules;

    private TokenPrefixDetector(IReadOnlyList<TokenRule> rules)
    {
        _rules = rules.ToFrozenDictionary(r => r.Prefix, StringComparer.Ordinal);
        // In the rules' order (a frozen table's keys have an order of their own): the heads at one position are offered in it.
        AnchoredNeedles = [.. rules.Select(r => r.Prefix)];
    }

    public override IReadOnlyList<string> AnchoredNeedles { get; }

    public override bool HoldsNeedlePrefix => true;

    public static TokenPrefixDetector? Create(Func<string, bool> enabled)
    {
        var rules = TokenRules.For(enabled).ToList();
        return rules.Count == 0 ? null : new TokenPrefixDetector(rules);
    }

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var rule = _rules[needle];
        var bytes = text.Bytes;
        // A head that starts before the scan's start is judged again: when its first bytes were released (a glued
        // prefix is held only from its third byte on), what follows them is masked (see Findings.AddMatch).
        if (!ByteClass.MatchesAt(bytes, index, rule.Prefix) || !Bounded(rule, text.At(index - 1)))
        {
            return;
        }

        var bodyStart = index + rule.Prefix.Length;
        var run = bytes[bodyStart..].IndexOfAnyExcept(rule.Body);
        var end = run < 0 ? bytes.Length : bodyStart + run;
        if (text.Open(end))
        {
            findings.AddCandidate(index, rule.Name, distinctive: true);
        }
        else if (end - bodyStart >= rule.MinBody && (rule.MinEntropy == 0 || SecretKeys.Entropy(bytes[bodyStart..end]) >= rule.MinEntropy))
        {
            findings.AddMatch(index, end, rule.Name);
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        var rule = _rules[needle];
        if (!ByteClass.MatchesAt(text.Bytes, index, rule.Prefix))
        {
            return;
        }

        var cut = text.Length - index;
        var wordStart = Bounded(TokenBoundary.WordStart, text.At(index - 1));
        if ((wordStart && cut >= rule.HoldFrom) || (rule.Boundary == TokenBoundary.Glued && cut >= Math.Max(rule.HoldFrom, ShortestGluedHold)))
        {
            findings.AddCandidate(index, rule.Name, distinctive: false);
        }
    }

    private static bool Bounded(TokenRule rule, byte previous) => Bounded(rule.Boundary, previous);

    private static bool Bounded(TokenBoundary boundary, byte previous) =>
        boundary == TokenBoundary.Glued || !(ByteClass.IsAlnum(previous) || previous is (byte)'+' or (byte)'/');
}
