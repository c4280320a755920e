using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Payment card numbers: 13–19 digits, either contiguous or in the printed groupings (4-4-4-4[-3],
/// 4-6-5, 4-6-4) with one consistent space or dash, starting with an issuer digit 2–6, word-bounded,
/// and Luhn-valid.
/// </summary>
internal sealed class CreditCardDetector : Detector
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    // PCI DSS lets the first six digits be shown, so a number that stalls before its seventh digit is released on delay.
    private const int DistinctiveDigits = 7;

    public override void Scan(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        var i = text.From;
        while (i < bytes.Length)
        {
            var hit = bytes[i..].IndexOfAnyInRange((byte)'2', (byte)'6');
            if (hit < 0)
            {
                return;
            }

            var start = i + hit;
            if (ByteClass.IsAlnum(text.At(start - 1)) || text.At(start - 1) is (byte)'.' or (byte)'-' or (byte)'_' or (byte)'/' or (byte)':')
            {
                i = SkipDigits(bytes, start);
                continue;
            }

            i = Parse(text, start, findings);
        }
    }

    private static int Parse(in ScanText text, int start, Findings findings)
    {
        var bytes = text.Bytes;
        Span<int> groups = stackalloc int[MaxDigits];
        var groupCount = 0;
        var digits = 0;
        var groupLength = 0;
        byte separator = 0;
        var i = start;
        var end = start;
        while (true)
        {
            if (text.Open(i))
            {
                if (digits <= MaxDigits)
                {
                    findings.AddCandidate(start, DetectorNames.CreditCard, distinctive: digits >= DistinctiveDigits);
                }

                return bytes.Length;
            }

            var b = text.At(i);
            if (ByteClass.IsDigit(b))
            {
                digits++;
                groupLength++;
                i++;
                end = i;
                if (digits > MaxDigits)
                {
                    return SkipDigits(bytes, i);
                }

                continue;
            }

            if ((b == (byte)' ' || b == (byte)'-') && groupLength > 0 && (separator == 0 || separator == b) && groupLength <= 6)
            {
                if (text.Open(i + 1))
                {
                    findings.AddCandidate(start, DetectorNames.CreditCard, distinctive: digits >= DistinctiveDigits);
                    return bytes.Length;
                }

                if (ByteClass.IsDigit(text.At(i + 1)))
                {
                    separator = b;
                    groups[groupCount++] = groupLength;
                    groupLength = 0;
                    i++;
                    continue;
                }
            }

            break;
        }

        groups[groupCount++] = groupLength;
        var afterEnd = text.At(end);
        if (digits >= MinDigits && !ByteClass.IsAlnum(afterEnd) && afterEnd != (byte)'_' && Grouped(groups[..groupCount]) && Luhn(bytes[start..end]))
        {
            findings.AddMatch(start, end, DetectorNames.CreditCard);
        }

        return end;
    }

    private static bool Grouped(ReadOnlySpan<int> groups)
    {
        if (groups.Length == 1)
        {
            return true;
        }

        if (groups is [4, 6, 5] or [4, 6, 4])
        {
            return true;
        }

        for (var g = 0; g < groups.Length - 1; g++)
        {
            if (groups[g] != 4)
            {
                return false;
            }
        }

        return groups[^1] is >= 1 and <= 4;
    }

    internal static bool Luhn(ReadOnlySpan<byte> number)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            if (!ByteClass.IsDigit(number[i]))
            {
                continue;
            }

            var d = number[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubleIt = !doubleIt;
        }

        return sum % 10 == 0;
    }

    private static int SkipDigits(ReadOnlySpan<byte> bytes, int i)
    {
        var next = bytes[i..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return next < 0 ? bytes.Length : Math.Max(i + next, i + 1);
    }
}
