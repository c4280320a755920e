using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Tokens recognised by a marker in their middle rather than a prefix: Azure AD client secrets
/// (<c>abc8Q~</c> then 31–34 characters, checked at every anchor of a long token run) and Telegram bot tokens
/// (<c>123456789:AA</c> then 33 characters; the run starts at <c>AA</c>, after the colon).
/// </summary>
internal sealed class InfixTokenDetector : Detector
{
    private const string TelegramHead = "AA";

    public override IReadOnlyList<string> AnchoredNeedles { get; } = [TelegramHead];

    public override bool AtEveryAnchor => true;

    // An Azure secret's marker is `Q~` four characters after the anchor, and a text that ends inside it is held only with
    // the `Q` there too (or the text ends before it): the Q is the byte every anchor acted on has. The tilde after it would
    // do as well in the middle of a text, but at a push's end it lets through the anchors five bytes before the end too,
    // each then offered and looked at again by the next push.
    public override (int Offset, byte Value)? AnchorMarker => (4, (byte)'Q');

    public override void OnAnchor(in ScanText text, int index, Findings findings)
    {
        // Three characters of [A-Za-z0-9_~.-], a digit, then the marker.
        if (text.At(index + 4) == (byte)'Q' && text.At(index + 5) == (byte)'~' && ByteClass.IsDigit(text.At(index + 3)) &&
            IsAzureChar(text.At(index)) && IsAzureChar(text.At(index + 1)) && IsAzureChar(text.At(index + 2)))
        {
            Report(text, index, index + 6, 31, IsAzureChar, findings);
        }
        else if (text.Length - index is 4 or 5 && !text.Final && ByteClass.IsDigit(text.At(index + 3)) &&
            IsAzureChar(text.At(index)) && IsAzureChar(text.At(index + 1)) && IsAzureChar(text.At(index + 2)) &&
            (text.Length - index == 4 || text.At(index + 4) == (byte)'Q'))
        {
            // The text ends inside the marker with four or five bytes of it: they wait (shorter ones may show, as for any
            // secret), and are released on the hold delay if nothing follows. Bytes an earlier push released stay out.
            findings.AddCandidate(Math.Max(index, text.From), DetectorNames.VendorToken, distinctive: false);
        }
    }

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        if (text.At(index - 1) != (byte)':')
        {
            return;
        }

        var digits = index - 1;
        while (digits > 0 && index - 1 - digits < 16 && ByteClass.IsDigit(text.At(digits - 1)))
        {
            digits--;
        }

        if (index - 1 - digits is >= 5 and <= 16 && !ByteClass.IsAlnum(text.At(digits - 1)))
        {
            Report(text, Math.Max(digits, text.From), index + needle.Length, 33, ByteClass.IsBase64Url, findings);
        }
    }

    private static void Report(in ScanText text, int start, int bodyStart, int minBody, Func<byte, bool> inBody, Findings findings)
    {
        var end = bodyStart;
        while (end < text.Length && inBody(text.Bytes[end]))
        {
            end++;
        }

        if (text.Open(end))
        {
            findings.AddCandidate(start, DetectorNames.VendorToken, distinctive: true);
        }
        else if (end - bodyStart >= minBody)
        {
            findings.AddMatch(start, end, DetectorNames.VendorToken);
        }
    }

    private static bool IsAzureChar(byte b) => ByteClass.IsAlnum(b) || b is (byte)'_' or (byte)'~' or (byte)'.' or (byte)'-';
}
