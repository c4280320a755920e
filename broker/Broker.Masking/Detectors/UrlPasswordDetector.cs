using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// The password in a URL's user-info (<c>scheme://user:PASSWORD@host</c>); the scheme, user and host stay.
/// </summary>
internal sealed class UrlPasswordDetector : Detector
{
    private const int MaxUser = 128;
    private const int MaxPassword = 256;

    public override IReadOnlyList<string> Needles { get; } = ["://"];

    public override int Lookback => MaxUser + 4;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        if (!ByteClass.IsAlnum(text.At(index - 1)))
        {
            return;
        }

        var bytes = text.Bytes;
        var userEnd = index + needle.Length;
        while (userEnd < bytes.Length && userEnd - index <= MaxUser && IsUserChar(bytes[userEnd]))
        {
            userEnd++;
        }

        if (text.At(userEnd) != (byte)':' || userEnd >= bytes.Length)
        {
            return;
        }

        var start = userEnd + 1;
        if (start < text.From)
        {
            return;
        }

        var end = start;
        var digitsOnly = true;
        while (end < bytes.Length && end - start <= MaxPassword && IsPasswordChar(bytes[end]))
        {
            digitsOnly &= ByteClass.IsDigit(bytes[end]);
            end++;
        }

        if (text.Open(end))
        {
            // A port (`host:8080`) looks the same until the `@` shows up; only a non-numeric one is worth masking on delay.
            findings.AddCandidate(start, DetectorNames.ConnectionStringPassword, distinctive: !digitsOnly);
        }
        else if (text.At(end) == (byte)'@' && end > start)
        {
            findings.AddMatch(start, end, DetectorNames.ConnectionStringPassword);
        }
    }

    private static bool IsUserChar(byte b) => !ByteClass.IsWhitespace(b) && b is not ((byte)':' or (byte)'@' or (byte)'/' or (byte)'?' or (byte)'#' or (byte)'"' or (byte)'\'');

    private static bool IsPasswordChar(byte b) => !ByteClass.IsWhitespace(b) && b is not ((byte)'@' or (byte)'/' or (byte)'?' or (byte)'#' or (byte)'"' or (byte)'\'');
}
