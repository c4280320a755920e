using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// E-mail addresses (off by default): a local part, <c>@</c>, and a dotted domain ending in a letter TLD.
/// Because the local part comes first, a word at the very end of the text is a candidate while this is on.
/// </summary>
internal sealed class EmailDetector : Detector
{
    private const int MaxLocal = 64;
    private const int MaxDomain = 253;

    public override IReadOnlyList<string> Needles { get; } = ["@"];

    public override int Lookback => MaxLocal + 1;

    public override bool Scans => true;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var bytes = text.Bytes;
        var start = index;
        while (start > 0 && index - start < MaxLocal && IsLocalChar(bytes[start - 1]))
        {
            start--;
        }

        if (start == index || bytes[start] == (byte)'.')
        {
            return;
        }

        var end = index + 1;
        while (end < bytes.Length && end - index <= MaxDomain && IsDomainChar(bytes[end]))
        {
            end++;
        }

        if (text.Open(end))
        {
            findings.AddCandidate(start, DetectorNames.Email, distinctive: true);
            return;
        }

        while (end > index + 1 && bytes[end - 1] is (byte)'.' or (byte)'-')
        {
            end--;
        }

        var domain = bytes[(index + 1)..end];
        var lastDot = domain.LastIndexOf((byte)'.');
        if (lastDot <= 0 || domain.Length - lastDot - 1 < 2)
        {
            return;
        }

        foreach (var b in domain[(lastDot + 1)..])
        {
            if (!ByteClass.IsUpper(b) && !ByteClass.IsLower(b))
            {
                return;
            }
        }

        findings.AddMatch(start, end, DetectorNames.Email);
    }

    public override void Scan(in ScanText text, Findings findings)
    {
        if (text.Final || text.Length == 0)
        {
            return;
        }

        var bytes = text.Bytes;
        var start = bytes.Length;
        while (start > 0 && bytes.Length - start < MaxLocal && IsLocalChar(bytes[start - 1]))
        {
            start--;
        }

        if (start < bytes.Length && !IsLocalChar(text.At(start - 1)))
        {
            findings.AddCandidate(start, DetectorNames.Email, distinctive: false);
        }
    }

    private static bool IsLocalChar(byte b) => ByteClass.IsAlnum(b) || b is (byte)'.' or (byte)'_' or (byte)'%' or (byte)'+' or (byte)'-';

    private static bool IsDomainChar(byte b) => ByteClass.IsAlnum(b) || b is (byte)'.' or (byte)'-';
}
