using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

    // Words the shape test judges at once with 256-bit vectors, or with 512-bit ones.
    private const int Group = 4;

    private const int WideGroup = 8;

    public override void Scan(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        var i = text.From;

        // Up to here the nine bytes the shape test reads are all present, so the bitmap test is exact.
        var lastJudged = bytes.Length - ShapeSpan;
        while (i <= lastJudged)
        {
            var start = NextShape(text.Classes!, i, lastJudged);
            if (start < 0)
            {
                i = lastJudged + 1;
                break;
            }

            i = IsStart(text, start) ? Parse(text, start, findings) : SkipDigits(bytes, start);
        }

        // The last few positions, whose nine bytes are not all there yet: only an issuer digit can start a number, so the
        // others are passed over by their bits (bits past the text are clear).
        while (i < bytes.Length)
        {
            var issuers = ByteClasses.BitsAt(text.Classes!.Issuer, i);
            if (issuers == 0)
            {
                break;
            }

            var start = i + BitOperations.TrailingZeroCount(issuers);
            i = IsStart(text, start) ? Parse(text, start, findings) : start + 1;
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
    /// a group of at least four). Ordinary numbers (sizes, PIDs, times) fail it, so Parse rarely runs. Read from the
    /// text's digit, separator and issuer bitmaps, 64 starts per step; the nine bytes of a start up to
    /// <paramref name="last"/> all lie in the text, so the bitmaps' clear bits past its end decide nothing.
    /// </summary>
    internal static int NextShape(ByteClasses classes, int from, int last)
    {
        var digits = classes.Digit;
        var separators = classes.Separator;
        var issuers = classes.Issuer;
        for (var p = from & ~63; p <= last; p += 64)
        {
            var w = p >> 6;
            // Eight words at once where 512-bit vectors are fast (a 1 KiB push is then two or three steps, not five), the
            // starts before `from` and after `last` masked off lane by lane with variable shifts: a push's first and last
            // steps mask, and eight scalar masks put into a vector cost more than the step's test.
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && w + WideGroup < digits.Length)
            {
                var wide = WideShape(digits, separators, issuers, w);
                if (p < from || p + (WideGroup * 64) - 1 > last)
                {
                    wide &= WideJudged(p, from, last);
                }

                if (wide == Vector512<ulong>.Zero)
                {
                    p += (WideGroup - 1) * 64;
                    continue;
                }

                var wideLane = BitOperations.TrailingZeroCount(~Vector512.Equals(wide, Vector512<ulong>.Zero).ExtractMostSignificantBits());
                var wideFirst = wideLane switch
                {
                    0 => wide.GetElement(0),
                    1 => wide.GetElement(1),
                    2 => wide.GetElement(2),
                    3 => wide.GetElement(3),
                    4 => wide.GetElement(4),
                    5 => wide.GetElement(5),
                    6 => wide.GetElement(6),
                    _ => wide.GetElement(7),
                };
                return p + (wideLane * 64) + BitOperations.TrailingZeroCount(wideFirst);
            }

            // Four words at once wherever the maps hold them and the word after them: nearly every word of ordinary output
            // holds an issuer digit (dates, sizes, PIDs), so the test below rarely skips a word. The starts before `from` and
            // after `last` are masked off lane by lane, as the one-word test masks them, so a push's first and last words
            // (which the one-word test took one at a time) take the vector step too.
            if (Vector256.IsHardwareAccelerated && w + Group < digits.Length)
            {
                var shapes = Shape(digits, separators, issuers, w);
                if (p < from || p + (Group * 64) - 1 > last)
                {
                    shapes &= Vector256.Create(Judged(p, from, last), Judged(p + 64, from, last), Judged(p + 128, from, last), Judged(p + 192, from, last));
                }

                if (shapes == Vector256<ulong>.Zero)
                {
                    p += (Group - 1) * 64;
                    continue;
                }

                var lane = BitOperations.TrailingZeroCount(~Vector256.Equals(shapes, Vector256<ulong>.Zero).ExtractMostSignificantBits());
                var first = lane switch
                {
                    0 => shapes.GetElement(0),
                    1 => shapes.GetElement(1),
                    2 => shapes.GetElement(2),
                    _ => shapes.GetElement(3),
                };
                return p + (lane * 64) + BitOperations.TrailingZeroCount(first);
            }

            // A shape starts at an issuer digit: a word without one (prose, paths, hex words) is passed over at once.
            if (issuers[w] == 0)
            {
                continue;
            }

            var judged = Shape(digits[w], digits[w + 1], separators[w], separators[w + 1], issuers[w]) & Judged(p, from, last);
            if (judged != 0)
            {
                return p + BitOperations.TrailingZeroCount(judged);
            }
        }

        return -1;
    }

    /// <summary>Bit k set where start <paramref name="p"/> + k lies in [<paramref name="from"/>, <paramref name="last"/>].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Judged(int p, int from, int last)
    {
        var judged = from <= p ? ulong.MaxValue : from - p < 64 ? ulong.MaxValue << (from - p) : 0;
        return last - p >= 63 ? judged : last < p ? 0 : judged & (ulong.MaxValue >> (63 - (last - p)));
    }

    /// <summary>
    /// <see cref="Judged"/> for the eight words from <paramref name="p"/>: all ones shifted up by how far <paramref name="from"/>
    /// lies into the word and down by how far the word reaches past <paramref name="last"/>; a variable shift by 64 or more
    /// clears the lane, as a word wholly before or after the judged starts is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> WideJudged(int p, int from, int last)
    {
        var starts = Vector512.Create((long)p) + Vector512.Create(0L, 64, 128, 192, 256, 320, 384, 448);
        var before = Vector512.Max(Vector512.Create((long)from) - starts, Vector512<long>.Zero).AsUInt64();
        var past = Vector512.Max(starts + Vector512.Create(63L - last), Vector512<long>.Zero).AsUInt64();
        return Avx512F.ShiftLeftLogicalVariable(Vector512<ulong>.AllBitsSet, before) & Avx512F.ShiftRightLogicalVariable(Vector512<ulong>.AllBitsSet, past);
    }

    /// <summary>
    /// Bit k set where the shape starts at byte k of a 64-byte word, given the word's and the next word's digit and
    /// separator masks (a shape reads bytes k..k+8).
    /// </summary>
    private static ulong Shape(ulong d, ulong nextD, ulong s, ulong nextS, ulong issuer) =>
        issuer & Down(d, nextD, 1) & Down(d, nextD, 2) & Down(d, nextD, 3) & Down(d, nextD, 5) & Down(d, nextD, 6) & Down(d, nextD, 7) &
        (Down(d, nextD, 4) | (Down(s, nextS, 4) & Down(d, nextD, 8)));

    /// <summary>
    /// <see cref="Shape(ulong, ulong, ulong, ulong, ulong)"/> for the four words from <paramref name="w"/>, lane by lane;
    /// the word after them must lie in the maps.
    /// </summary>
    private static Vector256<ulong> Shape(ReadOnlySpan<ulong> digits, ReadOnlySpan<ulong> separators, ReadOnlySpan<ulong> issuers, int w)
    {
        ref var digitWords = ref MemoryMarshal.GetReference(digits);
        ref var separatorWords = ref MemoryMarshal.GetReference(separators);
        var d = Vector256.LoadUnsafe(ref digitWords, (nuint)w);
        var nextD = Vector256.LoadUnsafe(ref digitWords, (nuint)(w + 1));
        var s = Vector256.LoadUnsafe(ref separatorWords, (nuint)w);
        var nextS = Vector256.LoadUnsafe(ref separatorWords, (nuint)(w + 1));
        return Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(issuers), (nuint)w) &
            Down(d, nextD, 1) & Down(d, nextD, 2) & Down(d, nextD, 3) & Down(d, nextD, 5) & Down(d, nextD, 6) & Down(d, nextD, 7) &
            (Down(d, nextD, 4) | (Down(s, nextS, 4) & Down(d, nextD, 8)));
    }

    /// <summary><see cref="Shape(ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, ReadOnlySpan{ulong}, int)"/> for the eight words from <paramref name="w"/>.</summary>
    private static Vector512<ulong> WideShape(ReadOnlySpan<ulong> digits, ReadOnlySpan<ulong> separators, ReadOnlySpan<ulong> issuers, int w)
    {
        ref var digitWords = ref MemoryMarshal.GetReference(digits);
        ref var separatorWords = ref MemoryMarshal.GetReference(separators);
        var d = Vector512.LoadUnsafe(ref digitWords, (nuint)w);
        var nextD = Vector512.LoadUnsafe(ref digitWords, (nuint)(w + 1));
        var s = Vector512.LoadUnsafe(ref separatorWords, (nuint)w);
        var nextS = Vector512.LoadUnsafe(ref separatorWords, (nuint)(w + 1));
        return Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(issuers), (nuint)w) &
            Down(d, nextD, 1) & Down(d, nextD, 2) & Down(d, nextD, 3) & Down(d, nextD, 5) & Down(d, nextD, 6) & Down(d, nextD, 7) &
            (Down(d, nextD, 4) | (Down(s, nextS, 4) & Down(d, nextD, 8)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Down(Vector512<ulong> word, Vector512<ulong> next, int by) => (word >> by) | (next << (64 - by));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Down(Vector256<ulong> word, Vector256<ulong> next, int by) => (word >> by) | (next << (64 - by));

    /// <summary>The mask of the bytes <paramref name="by"/> (1–8) further on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Down(ulong word, ulong next, int by) => (word >> by) | (next << (64 - by));

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
