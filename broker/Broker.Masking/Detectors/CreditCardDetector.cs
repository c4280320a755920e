using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Payment card numbers: 13–19 digits, either contiguous or in the printed groupings (4-4-4-4[-3],
/// 4-6-5, 4-6-4) with one consistent space, dash or dot, starting with an issuer digit 2–6, word-bounded,
/// and Luhn-valid.
/// </summary>
internal sealed class CreditCardDetector : Detector
{
    private const int MinDigits = 13;
    private const int MaxDigits = 19;

    // PCI DSS lets the first six digits be shown, so a number that stalls before its seventh digit is released on delay.
    private const int DistinctiveDigits = 7;

    // Bytes the shape test reads from a start: four digits, a digit or separator, four digits.
    private const int ShapeSpan = 9;

    public override void Scan(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        var i = text.From;

        // Up to here the nine bytes the shape test reads are all present, so the vectorised test is exact.
        var lastJudged = bytes.Length - ShapeSpan;
        while (i <= lastJudged)
        {
            var start = NextShape(bytes, i, lastJudged);
            if (start < 0)
            {
                i = lastJudged + 1;
                break;
            }

            i = IsStart(text, start) ? Parse(text, start, findings) : SkipDigits(bytes, start);
        }

        while (i < bytes.Length)
        {
            i = IsStart(text, i) ? Parse(text, i, findings) : i + 1;
        }
    }

    private static bool IsStart(in ScanText text, int index)
    {
        var previous = text.At(index - 1);
        return text.Bytes[index] is >= (byte)'2' and <= (byte)'6' &&
            !ByteClass.IsAlnum(previous) && previous is not ((byte)'.' or (byte)'-' or (byte)'_' or (byte)'/' or (byte)':');
    }

    /// <summary>
    /// First index in [<paramref name="from"/>, <paramref name="last"/>] where the first nine bytes have the shape
    /// every accepted number starts with: an issuer digit and three digits, then either four more digits
    /// (13–19 contiguous) or a separator and four digits (every grouping starts with a group of four and
    /// a group of at least four). Ordinary numbers (sizes, PIDs, times) fail it, so Parse rarely runs.
    /// </summary>
    private static int NextShape(ReadOnlySpan<byte> bytes, int from, int last)
    {
        var p = from;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var origin = ref MemoryMarshal.GetReference(bytes);

            // One load classifies 64 bytes as bit masks; a shape at bit k reads bits k..k+8, so bits 0..55 are judged.
            while (p + Vector512<byte>.Count - 1 <= last + ShapeSpan - 1)
            {
                var v = Vector512.LoadUnsafe(ref origin, (nuint)p);
                var judged = Shape(
                    Vector512.LessThan(v - Vector512.Create((byte)'0'), Vector512.Create((byte)10)).ExtractMostSignificantBits(),
                    (Vector512.Equals(v, Vector512.Create((byte)' ')) | Vector512.Equals(v, Vector512.Create((byte)'-')) | Vector512.Equals(v, Vector512.Create((byte)'.'))).ExtractMostSignificantBits(),
                    Vector512.LessThan(v - Vector512.Create((byte)'2'), Vector512.Create((byte)5)).ExtractMostSignificantBits()) & JudgedBits(Vector512<byte>.Count);
                if (judged != 0)
                {
                    return p + BitOperations.TrailingZeroCount(judged);
                }

                p += Vector512<byte>.Count - ShapeSpan + 1;
            }
        }

        // The same on 32 bytes (bits 0..23 judged per load): the whole text without 512-bit vectors, else what they left.
        if (Vector256.IsHardwareAccelerated)
        {
            ref var origin = ref MemoryMarshal.GetReference(bytes);
            while (p + Vector256<byte>.Count - 1 <= last + ShapeSpan - 1)
            {
                var v = Vector256.LoadUnsafe(ref origin, (nuint)p);
                var judged = Shape(v) & JudgedBits(Vector256<byte>.Count);
                if (judged != 0)
                {
                    return p + BitOperations.TrailingZeroCount(judged);
                }

                p += Vector256<byte>.Count - ShapeSpan + 1;
            }

            // Fewer than 24 starts are left: one padded load judges them (byte by byte they cost a 1 KiB push 5 %).
            return p <= last ? NextShapeInTail(bytes, p, last) : -1;
        }

        for (; p <= last; p++)
        {
            if (HasShape(bytes, p))
            {
                return p;
            }
        }

        return -1;
    }

    /// <summary>
    /// <see cref="NextShape"/> for the last starts, [<paramref name="from"/>, <paramref name="last"/>] with
    /// <paramref name="last"/> − <paramref name="from"/> &lt; 24: their nine bytes all lie in the 32 bytes at
    /// <paramref name="from"/>, copied to a zero-padded block so the load stays inside the text.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static int NextShapeInTail(ReadOnlySpan<byte> bytes, int from, int last)
    {
        Span<byte> padded = stackalloc byte[Vector256<byte>.Count];
        var length = Math.Min(bytes.Length - from, padded.Length);
        bytes.Slice(from, length).CopyTo(padded);
        padded[length..].Clear();
        var v = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(padded));
        var judged = Shape(v) & (ulong.MaxValue >> (63 - (last - from)));
        return judged == 0 ? -1 : from + BitOperations.TrailingZeroCount(judged);
    }

    private static bool HasShape(ReadOnlySpan<byte> b, int p) =>
        b[p] is >= (byte)'2' and <= (byte)'6' && ByteClass.IsDigit(b[p + 1]) && ByteClass.IsDigit(b[p + 2]) && ByteClass.IsDigit(b[p + 3]) &&
        ByteClass.IsDigit(b[p + 5]) && ByteClass.IsDigit(b[p + 6]) && ByteClass.IsDigit(b[p + 7]) &&
        (ByteClass.IsDigit(b[p + 4]) || (IsSeparator(b[p + 4]) && ByteClass.IsDigit(b[p + 8])));

    /// <summary><see cref="Shape(ulong, ulong, ulong)"/> of 32 bytes.</summary>
    private static ulong Shape(Vector256<byte> v) => Shape(
        Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10)).ExtractMostSignificantBits(),
        (Vector256.Equals(v, Vector256.Create((byte)' ')) | Vector256.Equals(v, Vector256.Create((byte)'-')) | Vector256.Equals(v, Vector256.Create((byte)'.'))).ExtractMostSignificantBits(),
        Vector256.LessThan(v - Vector256.Create((byte)'2'), Vector256.Create((byte)5)).ExtractMostSignificantBits());

    /// <summary>Bit k set where the issuer, digit and separator masks show the shape starting at byte k.</summary>
    private static ulong Shape(ulong d, ulong s, ulong issuer) =>
        issuer & (d >> 1) & (d >> 2) & (d >> 3) & (d >> 5) & (d >> 6) & (d >> 7) & ((d >> 4) | ((s >> 4) & (d >> 8)));

    /// <summary>The starts whose nine bytes all lie inside a block of <paramref name="width"/> bytes.</summary>
    private static ulong JudgedBits(int width) => ulong.MaxValue >> (64 - (width - ShapeSpan + 1));

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

            if (IsSeparator(b) && groupLength > 0 && (separator == 0 || separator == b) && groupLength <= 6)
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

    private static bool IsSeparator(byte b) => b is (byte)' ' or (byte)'-' or (byte)'.';

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
