using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Tokens that announce themselves with a fixed prefix (GitHub, Slack, <c>sk-</c> API keys, Stripe,
/// npm): the prefix, case-sensitive, at a word start, then at least a minimum run of body characters.
/// </summary>
internal sealed class TokenPrefixDetector : Detector
{
    private readonly Dictionary<string, TokenRule> _rules;

    private TokenPrefixDetector(IEnumerable<TokenRule> rules)
    {
        _rules = rules.ToDictionary(r => r.Prefix, StringComparer.OrdinalIgnoreCase);
        Needles = [.. _rules.Keys];
    }

    public override IReadOnlyList<string> Needles { get; }

    public override bool HoldsNeedlePrefix => true;

    public static TokenPrefixDetector? Create(Func<string, bool> enabled)
    {
        var rules = new List<TokenRule>();
        void Add(string name, BodyClass body, int minBody, params string[] prefixes)
        {
            if (enabled(name))
            {
                rules.AddRange(prefixes.Select(p => new TokenRule(p, name, body, minBody)));
            }
        }

        Add(DetectorNames.GitHubToken, BodyClass.Alnum, 36, "ghp_", "gho_", "ghu_", "ghs_", "ghr_");
        Add(DetectorNames.GitHubToken, BodyClass.AlnumUnderscore, 22, "github_pat_");
        Add(DetectorNames.SlackToken, BodyClass.AlnumDash, 10, "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxr-", "xoxs-", "xapp-");
        Add(DetectorNames.SkApiKey, BodyClass.AlnumDashUnderscore, 20, "sk-");
        Add(DetectorNames.StripeKey, BodyClass.Alnum, 10, "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_");
        Add(DetectorNames.NpmToken, BodyClass.Alnum, 36, "npm_");
        return rules.Count == 0 ? null : new TokenPrefixDetector(rules);
    }

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var rule = _rules[needle];
        var bytes = text.Bytes;
        if (index < text.From || !ByteClass.MatchesAt(bytes, index, rule.Prefix) || IsWordChar(text.At(index - 1)))
        {
            return;
        }

        var bodyStart = index + rule.Prefix.Length;
        var end = bodyStart;
        while (end < bytes.Length && InBody(rule.Body, bytes[end]))
        {
            end++;
        }

        if (text.Open(end))
        {
            findings.AddCandidate(index, rule.Name, distinctive: true);
        }
        else if (end - bodyStart >= rule.MinBody)
        {
            findings.AddMatch(index, end, rule.Name);
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        var rule = _rules[needle];
        if (ByteClass.MatchesAt(text.Bytes, index, rule.Prefix) && !IsWordChar(text.At(index - 1)))
        {
            findings.AddCandidate(index, rule.Name, distinctive: false);
        }
    }

    private static bool IsWordChar(byte b) => ByteClass.IsAlnum(b) || b is (byte)'_' or (byte)'-';

    private static bool InBody(BodyClass body, byte b) => body switch
    {
        BodyClass.Alnum => ByteClass.IsAlnum(b),
        BodyClass.AlnumUnderscore => ByteClass.IsAlnum(b) || b == (byte)'_',
        BodyClass.AlnumDash => ByteClass.IsAlnum(b) || b == (byte)'-',
        _ => ByteClass.IsAlnum(b) || b is (byte)'-' or (byte)'_',
    };

    private enum BodyClass
    {
        Alnum,
        AlnumUnderscore,
        AlnumDash,
        AlnumDashUnderscore,
    }

    private sealed record TokenRule(string Prefix, string Name, BodyClass Body, int MinBody);
}
