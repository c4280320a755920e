using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// JSON Web Tokens in compact form: header, payload and signature in base64url joined by dots. The header is
/// base64url of a JSON object: <c>eyJ…</c> for <c>{"</c>, and <c>eyA</c>, <c>ewo</c>, <c>ew0</c>, <c>ewk</c>
/// when white space follows the brace (a header serialised with spaces or line breaks). Those are checked by
/// decoding the header's start: a brace, white space, then a quote. A token glued to a name or a path by <c>_</c> or
/// <c>-</c> (<c>MY_eyJ…</c>, <c>x-eyJ…</c>) counts too when its header decodes to a JSON key (a brace, a quoted name and a
/// colon): those two bytes are base64url, so the glue alone does not tell the token from the middle of other base64url.
/// </summary>
internal sealed class JwtDetector : Detector
{
    private const int MinHeader = 10;
    private const int MinPayload = 4;
    // Enough base64url characters to decode a brace, several white-space bytes and the opening quote.
    private const int HeaderProbe = 16;
    // A glued header must decode to its first key and colon: 64 base64url characters are 48 bytes, room for a long key.
    private const int GluedProbe = 64;

    public override IReadOnlyList<string> AnchoredNeedles { get; } = ["eyJ", "eyA", "ewo", "ew0", "ewk"];

    public override bool HoldsNeedlePrefix => true;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        // A head that starts before the scan's start is judged again: a glued head is held only once it is whole, so a cut
        // inside it released its first bytes, and what follows them is masked (Findings clamps the match to the scan's start).
        var previous = text.At(index - 1);
        var glued = previous is (byte)'_' or (byte)'-';
        if (!ByteClass.MatchesAt(text.Bytes, index, needle) || (!glued && IsTokenChar(previous)))
        {
            return;
        }

        var headerEnd = Run(text, index);
        if (Undecided(text, index, headerEnd, findings) || text.At(headerEnd) != (byte)'.' || headerEnd - index < MinHeader)
        {
            return;
        }

        var header = text.Bytes[index..headerEnd];
        if (glued ? !OpensJsonKey(header[..Math.Min(GluedProbe, header.Length)]) : needle[2] != 'J' && !OpensJsonObject(header[..Math.Min(HeaderProbe, header.Length)]))
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

    /// <summary>Whether base64url <paramref name="encoded"/> decodes to a brace, optional white space and a double quote.</summary>
    private static bool OpensJsonObject(ReadOnlySpan<byte> encoded)
    {
        Span<byte> decoded = stackalloc byte[HeaderProbe];
        var n = Decode(encoded, decoded);
        var i = SkipWhitespace(decoded[..n], 1);
        return n > 0 && decoded[0] == (byte)'{' && i < n && decoded[i] == (byte)'"';
    }

    /// <summary>
    /// Whether base64url <paramref name="encoded"/> decodes to a brace, a quoted key of printable ASCII and a colon
    /// (white space allowed between them): a JSON object's first member, as every JWT header starts.
    /// </summary>
    private static bool OpensJsonKey(ReadOnlySpan<byte> encoded)
    {
        Span<byte> decoded = stackalloc byte[GluedProbe];
        var json = decoded[..Decode(encoded, decoded)];
        var i = SkipWhitespace(json, 1);
        if (json.Length == 0 || json[0] != (byte)'{' || i >= json.Length || json[i] != (byte)'"')
        {
            return false;
        }

        var key = json[(i + 1)..];
        var close = key.IndexOf((byte)'"');
        if (close <= 0 || key[..close].IndexOfAnyExceptInRange((byte)' ', (byte)'~') >= 0)
        {
            return false;
        }

        var colon = SkipWhitespace(json, i + 2 + close);
        return colon < json.Length && json[colon] == (byte)':';
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }

    /// <summary>Decodes the whole bytes of base64url <paramref name="encoded"/> into <paramref name="decoded"/>; their count.</summary>
    private static int Decode(ReadOnlySpan<byte> encoded, Span<byte> decoded)
    {
        var n = 0;
        var bits = 0;
        var buffer = 0;
        foreach (var c in encoded)
        {
            buffer = (buffer << 6) | Base64UrlValue(c);
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                decoded[n++] = (byte)(buffer >> bits);
                buffer &= (1 << bits) - 1;
            }
        }

        return n;
    }

    private static int Base64UrlValue(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'-' => 62,
        _ => 63,
    };

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
