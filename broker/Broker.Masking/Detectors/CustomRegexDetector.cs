using System.Text;
using System.Text.RegularExpressions;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// A role's own regular expression, run over the UTF-8-decoded window. A match is decided once
/// whitespace follows it; the last unfinished word stays a candidate until then, because a regex
/// cannot say whether more text would change its answer.
/// </summary>
internal sealed class CustomRegexDetector(string name, Regex regex) : Detector
{
    // Context before the undecided text, so look-behinds such as `(?<=Secret: )\S+` still see their key.
    private const int Context = 256;

    public string Name { get; } = name;

    public override void Scan(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        var windowStart = Math.Max(0, text.From - Context);
        var decodedEnd = CompleteUtf8End(bytes, windowStart, text.Final);
        var window = bytes[windowStart..decodedEnd];
        var decided = text.Final ? bytes.Length : LastWhitespace(bytes, text.From) + 1;
        if (!text.Final && decided < bytes.Length)
        {
            findings.AddCandidate(Math.Max(decided, text.From), Name, distinctive: false);
        }

        if (window.IsEmpty)
        {
            return;
        }

        var decoded = Encoding.UTF8.GetString(window);
        var ascii = decoded.Length == window.Length;
        foreach (var match in regex.EnumerateMatches(decoded))
        {
            if (match.Length == 0)
            {
                continue;
            }

            var start = windowStart + (ascii ? match.Index : Encoding.UTF8.GetByteCount(decoded.AsSpan(0, match.Index)));
            var end = ascii ? start + match.Length : start + Encoding.UTF8.GetByteCount(decoded.AsSpan(match.Index, match.Length));
            if (end <= decided)
            {
                findings.AddMatch(start, end, Name);
            }
            else
            {
                // The pattern already matches here; only its extent is open, so on delay it is masked.
                findings.AddCandidate(start, Name, distinctive: true);
            }
        }
    }

    private static int LastWhitespace(ReadOnlySpan<byte> bytes, int from)
    {
        var i = bytes.LastIndexOfAny((byte)' ', (byte)'\n', (byte)'\t');
        return i < from ? from - 1 : i;
    }

    // A code point split by the chunking is decoded when its last byte has come.
    private static int CompleteUtf8End(ReadOnlySpan<byte> bytes, int start, bool final)
    {
        if (final)
        {
            return bytes.Length;
        }

        var end = bytes.Length;
        for (var back = 1; back <= 3 && end - back >= start; back++)
        {
            var b = bytes[end - back];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? end - back : end;
        }

        return end;
    }
}
