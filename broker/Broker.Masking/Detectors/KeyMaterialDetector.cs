using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Private keys by their body, with or without BEGIN/END lines (<c>grep -v -e -----</c> of a key file):
/// <list type="bullet">
/// <item>a base64 run whose decoded start is a private key (<see cref="KeyShapes"/>: PKCS#1, SEC 1, PKCS#8 plain or
/// encrypted, PKCS#12, OpenSSH, SSH2, a PEM block encoded once more);</item>
/// <item>PuTTY's <c>Private-Lines:</c> and the lines that follow;</item>
/// <item>a block of three or more lines of 64, 70 or 72 random-looking base64 characters (the line widths of PEM,
/// OpenSSH, SSH2 and PuTTY files), unless its first line is a certificate or public key.</item>
/// </list>
/// Each is masked with every base64 line that follows it, up to the first line that is not base64.
/// </summary>
internal sealed class KeyMaterialDetector : Detector
{
    private const string PuttyPrivate = "Private-Lines:";
    private const int MinRun = 40;
    private const int BlockLines = 3;
    private const double MinLineEntropy = 4.7;
    private const int LongestLine = 72;
    private const int ShortestHeld = 4;
    // How far up a block of base64 lines is followed to its first line (64 lines: a 4096-bit key, a long chain certificate).
    private const int MaxLinesAbove = 64;

    // A DER SEQUENCE (0x30) encodes as 'M', its length byte as the next character: short lengths A-H, long forms I.
    private static readonly string[] s_der = ["MA", "MB", "MC", "MD", "ME", "MF", "MG", "MH", "MI"];
    // openssh-key-v1, the SSH2 magic 3f6ff9eb, and "-----BEGIN" in base64.
    private static readonly string[] s_magic = ["b3BlbnNzaC1rZXktdjE", "P2/56w", "LS0tLS1CRUdJTi"];

    public override IReadOnlyList<string> Needles { get; } = [PuttyPrivate];

    public override IReadOnlyList<string> AnchoredNeedles { get; } = [.. s_der, .. s_magic];

    public override bool HoldsNeedlePrefix => true;

    public override int Lookback => LongestLine * BlockLines;

    public override bool Scans => true;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var bytes = text.Bytes;
        if (!ByteClass.MatchesAt(bytes, index, needle))
        {
            return;
        }

        if (needle == PuttyPrivate)
        {
            var lineEnd = bytes[index..].IndexOfAny((byte)'\n', (byte)'\r');
            if (lineEnd < 0)
            {
                findings.AddCandidate(index, DetectorNames.PrivateKeyBody, distinctive: false, Continuation.UntilBlockEnd);
            }
            else
            {
                findings.AddMatch(index, index + lineEnd, DetectorNames.PrivateKeyBody, Continuation.UntilBlockEnd);
            }

            return;
        }

        var previous = text.At(index - 1);
        if (KeyShapes.IsBase64(previous) || previous is (byte)'-' or (byte)'_')
        {
            return;
        }

        var run = bytes[index..].IndexOfAnyExcept(s_base64);
        var end = run < 0 ? bytes.Length : index + run;
        var open = text.Open(end);
        switch (KeyShapes.Judge(bytes[index..end], complete: !open))
        {
            case KeyShape.Undecided:
                findings.AddCandidate(index, DetectorNames.PrivateKeyBody, distinctive: false, Continuation.UntilBlockEnd);
                break;
            case KeyShape.Private when open:
                findings.AddCandidate(index, DetectorNames.PrivateKeyBody, distinctive: true, Continuation.UntilBlockEnd);
                break;
            case KeyShape.Private when end - index >= MinRun:
                findings.AddMatch(index, end, DetectorNames.PrivateKeyBody, Continuation.UntilBlockEnd);
                break;
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        // A lone `M` is not held (every capitalised word would wait); the magic prefixes are, once three characters long.
        if (needle.Length > 2 && text.Length - index >= 3 && ByteClass.MatchesAt(text.Bytes, index, needle) && !KeyShapes.IsBase64(text.At(index - 1)))
        {
            findings.AddCandidate(index, DetectorNames.PrivateKeyBody, distinctive: false, Continuation.UntilBlockEnd);
        }
    }

    /// <summary>Blocks of key-shaped lines (see the class summary), found through a cheap test of where 32 base64 characters follow one another.</summary>
    public override void Scan(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        var from = LineStart(bytes, Math.Max(0, text.From - (LongestLine * BlockLines)));
        var i = from;
        while (i < bytes.Length)
        {
            var hit = Base64Blocks.Next(text.Classes!, i);
            if (hit < 0)
            {
                break;
            }

            var start = LineStart(bytes, hit);
            var blockEnd = Block(text, start, findings);
            i = Math.Max(blockEnd, hit + 1);
        }

        if (!text.Final)
        {
            HoldOpenLine(text, findings);
        }
    }

    /// <summary>Judges the block of key-shaped lines that starts at <paramref name="start"/>; returns where the search goes on.</summary>
    private static int Block(in ScanText text, int start, Findings findings)
    {
        var bytes = text.Bytes;
        var first = Line(bytes, start);
        if (!first.Complete || !Shaped(first, bytes))
        {
            return first.End;
        }

        var width = first.BodyLength;
        var lines = 1;
        var line = first;
        while (lines < BlockLines)
        {
            var next = Line(bytes, line.End + 1);
            if (!next.Complete)
            {
                return line.End + 1;
            }

            if (!Shaped(next, bytes) || next.BodyLength != width)
            {
                return next.End;
            }

            line = next;
            lines++;
        }

        // The block may go on from lines above that are base64 of the same width but less random (a certificate's first
        // line is full of small numbers): what it is, its first line says.
        var top = first;
        for (var above = 0; above < MaxLinesAbove && top.BodyStart > 1; above++)
        {
            var previous = Line(bytes, LineStart(bytes, LineStart(bytes, top.BodyStart) - 1));
            if (previous.BodyLength != width || bytes.Slice(previous.BodyStart, previous.BodyLength).IndexOfAnyExcept(s_base64) >= 0)
            {
                break;
            }

            top = previous;
        }

        if (KeyShapes.Judge(bytes.Slice(top.BodyStart, top.BodyLength), complete: true) != KeyShape.Public)
        {
            findings.AddMatch(top.BodyStart, line.BodyStart + line.BodyLength, DetectorNames.PrivateKeyBody, Continuation.UntilBlockEnd);
        }

        return line.End;
    }

    /// <summary>An unfinished last line that is base64 so far may still start, or continue, a block: it waits.</summary>
    internal static void HoldOpenLine(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        // A body of base64 characters lies in the run of token characters the text ends with, and only indentation
        // stands between that run and its line's start: any other byte there (nearly every push of ordinary output
        // ends inside a sentence) rules the open line out before it is looked for.
        var tail = text.TokenTail;
        var indent = tail;
        while (indent > 0 && bytes[indent - 1] is (byte)' ' or (byte)'\t')
        {
            indent--;
        }

        if (indent > 0 && bytes[indent - 1] != (byte)'\n')
        {
            return;
        }

        // So the open line starts at `indent` (no newline lies in the spaces and token characters after it) and its body is
        // the token run; each line above ends one byte before the line under it starts. No search finds those again.
        var open = new LineSpan(tail, bytes.Length - tail, bytes.Length, Complete: false);
        if (open.BodyLength > LongestLine || bytes[open.BodyStart..].IndexOfAnyExcept(s_base64) >= 0)
        {
            return;
        }

        // Hold from the start of the base64 lines it continues, so a block cut anywhere is masked whole; a block whose
        // first line is a certificate's or a public key's is not a key.
        var start = open.BodyStart;
        var top = open;
        var topStart = indent;
        var shaped = 0;
        for (var above = 0; above < MaxLinesAbove && top.BodyStart > 1; above++)
        {
            // A line at the text's start has none above: the line "above" it is read from the text's start, itself again.
            var previousStart = topStart > 0 ? LineStart(bytes, topStart - 1) : 0;
            var previous = topStart > 0 ? LineBefore(bytes, previousStart, topStart - 1) : Line(bytes, 0);
            if (previous.BodyLength is not (64 or 70 or 72) || bytes.Slice(previous.BodyStart, previous.BodyLength).IndexOfAnyExcept(s_base64) >= 0)
            {
                break;
            }

            shaped += Shaped(previous, bytes) ? 1 : 0;
            top = previous;
            topStart = previousStart;
            start = previous.BodyStart;
        }

        if (top.BodyLength > 0 && KeyShapes.MayBePublic(bytes[top.BodyStart]) && KeyShapes.Judge(bytes.Slice(top.BodyStart, top.BodyLength), complete: top.End < bytes.Length) == KeyShape.Public)
        {
            return;
        }

        // A lone short word at a line start (a keystroke's echo) is not held: at most three characters of a block
        // cut right there show, and the block is masked from the fourth on.
        if (open.BodyLength >= ShortestHeld || start < open.BodyStart)
        {
            findings.AddCandidate(start, DetectorNames.PrivateKeyBody, distinctive: shaped >= BlockLines - 1, Continuation.UntilBlockEnd);
        }
    }

    private static bool Shaped(LineSpan line, ReadOnlySpan<byte> bytes) =>
        line.BodyLength is 64 or 70 or 72 &&
        bytes.Slice(line.BodyStart, line.BodyLength).IndexOfAnyExcept(s_base64) < 0 &&
        SecretKeys.Entropy(bytes.Slice(line.BodyStart, line.BodyLength)) >= MinLineEntropy;

    private static int LineStart(ReadOnlySpan<byte> bytes, int index)
    {
        var newline = index <= 0 ? -1 : bytes[..index].LastIndexOf((byte)'\n');
        return newline + 1;
    }

    /// <summary>The line at <paramref name="start"/>: its body without indentation and without a trailing CR, and where it ends.</summary>
    internal static LineSpan Line(ReadOnlySpan<byte> bytes, int start)
    {
        if (start >= bytes.Length)
        {
            return new LineSpan(start, 0, start, Complete: false);
        }

        var body = start;
        while (body < bytes.Length && bytes[body] is (byte)' ' or (byte)'\t')
        {
            body++;
        }

        var newline = bytes[start..].IndexOf((byte)'\n');
        var end = newline < 0 ? bytes.Length : start + newline;
        var bodyEnd = end > body && bytes[end - 1] == (byte)'\r' ? end - 1 : end;
        return new LineSpan(body, Math.Max(0, bodyEnd - body), end, newline >= 0);
    }

    /// <summary><see cref="Line"/> for a line known to end at the newline at <paramref name="newline"/>.</summary>
    private static LineSpan LineBefore(ReadOnlySpan<byte> bytes, int start, int newline)
    {
        var body = start;
        while (body < newline && bytes[body] is (byte)' ' or (byte)'\t')
        {
            body++;
        }

        var bodyEnd = newline > body && bytes[newline - 1] == (byte)'\r' ? newline - 1 : newline;
        return new LineSpan(body, Math.Max(0, bodyEnd - body), newline, Complete: true);
    }

    private static readonly System.Buffers.SearchValues<byte> s_base64 =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="u8);

    internal readonly record struct LineSpan(int BodyStart, int BodyLength, int End, bool Complete);
}
