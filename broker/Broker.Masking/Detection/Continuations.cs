using Broker.Masking.Detectors;

namespace Broker.Masking.Detection;

/// <summary>Where a latched region ends, for each <see cref="Continuation"/>.</summary>
internal static class Continuations
{
    /// <summary>
    /// The end of the region that goes on at <paramref name="from"/> (exclusive), or -1 when it has not come yet; then
    /// <paramref name="resume"/> is where the next search starts and everything before <paramref name="undecided"/> is
    /// certainly inside the region (the rest, a line that may or may not continue it, waits).
    /// </summary>
    public static int FindEnd(Continuation kind, ReadOnlySpan<byte> bytes, int from, bool final, out int resume, out int undecided)
    {
        undecided = bytes.Length;
        switch (kind)
        {
            case Continuation.UntilPemEnd:
            case Continuation.UntilSsh2End:
                return PemDetector.FindEnd(bytes, from, final, kind == Continuation.UntilSsh2End, out resume);
            case Continuation.UntilBlockEnd:
                return BlockEnd(bytes, from, final, out resume, out undecided);
            case Continuation.UntilQuote:
                {
                    resume = bytes.Length;
                    var end = bytes[from..].IndexOf((byte)'"');
                    return end < 0 ? -1 : from + end;
                }

            default:
                {
                    resume = bytes.Length;
                    var end = bytes[from..].IndexOfAny(" \t\n"u8);
                    return end < 0 ? -1 : from + end;
                }
        }
    }

    /// <summary>
    /// A key body goes on over every following line that is base64 (indentation and a CR allowed) and ends before
    /// the first line that is not: an empty line, an END line, a prompt. A line not yet complete is undecided.
    /// </summary>
    private static int BlockEnd(ReadOnlySpan<byte> bytes, int from, bool final, out int resume, out int undecided)
    {
        var i = from;
        while (true)
        {
            while (i < bytes.Length && bytes[i] == (byte)'\r')
            {
                i++;
            }

            if (i >= bytes.Length)
            {
                resume = from;
                undecided = bytes.Length;
                return final ? bytes.Length : -1;
            }

            if (bytes[i] != (byte)'\n')
            {
                // The region ended inside a line (a value in quotes, a word after the run): the body ends there.
                resume = i;
                undecided = i;
                return from;
            }

            var line = i + 1;
            var j = line;
            while (j < bytes.Length && bytes[j] is (byte)' ' or (byte)'\t')
            {
                j++;
            }

            var body = j;
            while (j < bytes.Length && KeyShapes.IsBase64(bytes[j]))
            {
                j++;
            }

            if (j >= bytes.Length)
            {
                // The line feed itself belongs to the body only if the line after it turns out to.
                resume = i;
                undecided = i;
                return final ? (j > body ? bytes.Length : i) : -1;
            }

            if (j == body || bytes[j] is not ((byte)'\n' or (byte)'\r'))
            {
                resume = i;
                undecided = i;
                return i;
            }

            i = j;
        }
    }
}
