using System.Buffers;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Secrets that travel in a URL's path or query: incoming-webhook URLs (Slack, Discord, Microsoft Teams), where
/// the path after the host is the credential, and the <c>sig=</c> signature of an Azure shared access signature.
/// </summary>
internal sealed class UrlSecretDetector(bool webhooks, bool azure) : Detector
{
    private const int MinSecret = 16;

    private static readonly string[] s_webhooks =
        ["hooks.slack.com/services/", "hooks.slack.com/workflows/", "hooks.slack.com/triggers/", "discord.com/api/webhooks/", "discordapp.com/api/webhooks/", "webhook.office.com/webhookb2/"];

    private static readonly string[] s_signatures = ["?sig=", "&sig="];

    // The end of a URL in running text; `/` and `%` belong to the secret (a path, an encoded signature).
    private static readonly SearchValues<byte> s_urlEnd = SearchValues.Create(" \t\n\r\f\v\"'<>`)]},;&#"u8);

    public override IReadOnlyList<string> Needles { get; } = azure ? s_signatures : [];

    public override IReadOnlyList<string> AnchoredNeedles { get; } = webhooks ? s_webhooks : [];

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var bytes = text.Bytes;
        var start = index + needle.Length;
        if (start < text.From || !ByteClass.MatchesAt(bytes, index, needle))
        {
            return;
        }

        var length = bytes[start..].IndexOfAny(s_urlEnd);
        var end = length < 0 ? bytes.Length : start + length;
        var name = needle[0] is '?' or '&' ? DetectorNames.AzureStorageKey : DetectorNames.WebhookUrl;
        if (text.Open(end))
        {
            findings.AddCandidate(start, name, distinctive: end - start >= ShortestShown);
        }
        else if (end - start >= MinSecret)
        {
            findings.AddMatch(start, end, name);
        }
    }

    private const int ShortestShown = 4;
}
