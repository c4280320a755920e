using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Private-key blocks with armour lines: PEM (<c>-----BEGIN … PRIVATE KEY-----</c>, which includes PGP private key
/// blocks) and SSH2 / RFC 4716 (<c>---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----</c>). The BEGIN line is a latching
/// match: the masker masks from there on, across chunks, until the matching END line (or the end of the stream).
/// </summary>
internal sealed class PemDetector : Detector
{
    private const string PemBegin = "-----BEGIN ";
    private const string Ssh2Begin = "---- BEGIN ";
    private const int MaxLabel = 48;

    public override IReadOnlyList<string> Needles { get; } = [PemBegin, Ssh2Begin];

    public override bool HoldsNeedlePrefix => true;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        if (!ByteClass.MatchesAt(text.Bytes, index, needle))
        {
            return;
        }

        var ssh2 = needle == Ssh2Begin;
        var (state, end, isPrivate) = Label(text, index + needle.Length, ssh2);
        if (state == LabelState.Open)
        {
            findings.AddCandidate(index, DetectorNames.PemPrivateKey, distinctive: false, Continuation.UntilPemEnd);
        }
        else if (state == LabelState.Complete && isPrivate)
        {
            findings.AddMatch(index, end, DetectorNames.PemPrivateKey, ssh2 ? Continuation.UntilSsh2End : Continuation.UntilPemEnd);
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        if (ByteClass.MatchesAt(text.Bytes, index, needle))
        {
            findings.AddCandidate(index, DetectorNames.PemPrivateKey, distinctive: false, Continuation.UntilPemEnd);
        }
    }

    /// <summary>
    /// Finds the end of the END line at or after <paramref name="from"/>: its index, or -1 with
    /// <paramref name="resume"/> set to where the next search must start (a partial END line is searched again).
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> bytes, int from, bool final, bool ssh2, out int resume)
    {
        ReadOnlySpan<byte> endLine = ssh2 ? "---- END "u8 : "-----END "u8;
        var i = from;
        while (true)
        {
            var hit = bytes[i..].IndexOf(endLine);
            if (hit < 0)
            {
                resume = Math.Max(i, bytes.Length - endLine.Length);
                return -1;
            }

            hit += i;
            var text = new ScanText(bytes, hit, final);
            var (state, end, _) = Label(text, hit + endLine.Length, ssh2);
            if (state == LabelState.Complete)
            {
                resume = end;
                return end;
            }

            if (state == LabelState.Open)
            {
                resume = hit;
                return -1;
            }

            i = hit + 1;
        }
    }

    private static (LabelState State, int End, bool IsPrivate) Label(in ScanText text, int from, bool ssh2)
    {
        var dashes = ssh2 ? 4 : 5;
        var i = from;
        while (i < text.Length && i - from <= MaxLabel && (ByteClass.IsUpper(text.Bytes[i]) || ByteClass.IsDigit(text.Bytes[i]) || text.Bytes[i] == (byte)' '))
        {
            i++;
        }

        if (i - from > MaxLabel)
        {
            return (LabelState.Invalid, i, false);
        }

        for (var k = 0; k < dashes; k++)
        {
            if (text.Open(i + k))
            {
                return (LabelState.Open, i, false);
            }

            if (text.At(i + k) != (byte)'-')
            {
                return (LabelState.Invalid, i, false);
            }
        }

        var isPrivate = text.Bytes[from..i].IndexOf("PRIVATE KEY"u8) >= 0;
        return (LabelState.Complete, i + dashes, isPrivate);
    }

    private enum LabelState
    {
        Open,
        Complete,
        Invalid,
    }
}
