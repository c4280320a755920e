using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// PEM private-key blocks. The <c>-----BEGIN … PRIVATE KEY-----</c> line is a latching match: the
/// masker masks from there on, across chunks, until the matching END line (or the end of the stream).
/// </summary>
internal sealed class PemDetector : Detector
{
    private const string Begin = "-----BEGIN ";
    private const string End = "-----END ";
    private const string Dashes = "-----";
    private const int MaxLabel = 48;

    public override IReadOnlyList<string> Needles { get; } = [Begin];

    public override bool HoldsNeedlePrefix => true;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        if (!ByteClass.MatchesAt(text.Bytes, index, Begin))
        {
            return;
        }

        var (state, end, isPrivate) = Label(text, index + Begin.Length);
        if (state == LabelState.Open)
        {
            findings.AddCandidate(index, DetectorNames.PemPrivateKey, distinctive: false, Continuation.UntilPemEnd);
        }
        else if (state == LabelState.Complete && isPrivate)
        {
            findings.AddMatch(index, end, DetectorNames.PemPrivateKey, latch: true);
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        if (ByteClass.MatchesAt(text.Bytes, index, Begin))
        {
            findings.AddCandidate(index, DetectorNames.PemPrivateKey, distinctive: false, Continuation.UntilPemEnd);
        }
    }

    /// <summary>
    /// Finds the end of the END line at or after <paramref name="from"/>: its index, or -1 with
    /// <paramref name="resume"/> set to where the next search must start (a partial END line is searched again).
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> bytes, int from, bool final, out int resume)
    {
        var i = from;
        while (true)
        {
            var hit = bytes[i..].IndexOf("-----END "u8);
            if (hit < 0)
            {
                resume = Math.Max(i, bytes.Length - End.Length);
                return -1;
            }

            hit += i;
            var text = new ScanText(bytes, default, hit, final);
            var (state, end, _) = Label(text, hit + End.Length);
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

    private static (LabelState State, int End, bool IsPrivate) Label(in ScanText text, int from)
    {
        var i = from;
        while (i < text.Length && i - from <= MaxLabel && (ByteClass.IsUpper(text.Bytes[i]) || ByteClass.IsDigit(text.Bytes[i]) || text.Bytes[i] == (byte)' '))
        {
            i++;
        }

        if (i - from > MaxLabel)
        {
            return (LabelState.Invalid, i, false);
        }

        for (var k = 0; k < Dashes.Length; k++)
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
        return (LabelState.Complete, i + Dashes.Length, isPrivate);
    }

    private enum LabelState
    {
        Open,
        Complete,
        Invalid,
    }
}
