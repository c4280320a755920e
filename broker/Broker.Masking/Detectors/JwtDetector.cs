using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// JSON Web Tokens in compact form: <c>eyJ…</c> header, payload and signature in base64url joined by dots.
/// </summary>
internal sealed class JwtDetector : Detector
{
    private const int MinHeader = 10;
    private const int MinPayload = 4;

    public override IReadOnlyList<string> Needles { get; } = ["eyJ"];

    public override bool HoldsNeedlePrefix => true;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        if (index < text.From || !ByteClass.MatchesAt(text.Bytes, index, needle) || IsTokenChar(text.At(index - 1)))
        {
            return;
        }

        var headerEnd = Run(text, index);
        if (Undecided(text, index, headerEnd, findings) || text.At(headerEnd) != (byte)'.' || headerEnd - index < MinHeader)
        {
            return;
        }

        var payloadEnd = Run(text, headerEnd + 1);
        if (Undecided(text, index, payloadEnd, findings) || text.At(payloadEnd) != (byte)'.' || payloadEnd - headerEnd - 1 < MinPayload)
        {
            return;
        }

        var signatureEnd = Run(text, payloadEnd + 1);
        if (!Undecided(text, index, signatureEnd, findings))
        {
            findings.AddMatch(index, signatureEnd, DetectorNames.Jwt);
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        if (ByteClass.MatchesAt(text.Bytes, index, needle) && !IsTokenChar(text.At(index - 1)))
        {
            findings.AddCandidate(index, DetectorNames.Jwt, distinctive: false);
        }
    }

    private static bool Undecided(in ScanText text, int start, int end, Findings findings)
    {
        if (!text.Open(end))
        {
            return false;
        }

        findings.AddCandidate(start, DetectorNames.Jwt, distinctive: true);
        return true;
    }

    private static int Run(in ScanText text, int from)
    {
        var i = from;
        while (i < text.Length && ByteClass.IsBase64Url(text.Bytes[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsTokenChar(byte b) => ByteClass.IsBase64Url(b) || b == (byte)'.';
}
