using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Broker.Masking.Detection;

/// <summary>
/// The byte classes the detectors share, as bitmaps over a text (bit <c>i &amp; 63</c> of word <c>i &gt;&gt; 6</c> is
/// byte <c>i</c>): token characters and letters or digits (<see cref="TokenRuns"/>), base64 (<see cref="Base64Blocks"/>),
/// and the digits, separators and issuer digits of card numbers. Each byte is classified once, with one vector step per
/// 64 bytes, when it is first scanned: a view's classes grow with its text (<see cref="Extend"/>), so the look-behind
/// every scan reads again is read from the bitmaps rather than classified again. Bits past the text are clear, and one
/// clear word follows the last, so a reader may always look one word ahead.
/// </summary>
internal sealed class ByteClasses
{
    private const int Block = 64;

    private const int InitialWords = 16;

    private ulong[] _token = new ulong[InitialWords];
    private ulong[] _alnum = new ulong[InitialWords];
    private ulong[] _base64 = new ulong[InitialWords];
    private ulong[] _digit = new ulong[InitialWords];
    private ulong[] _separator = new ulong[InitialWords];
    private ulong[] _issuer = new ulong[InitialWords];

    /// <summary>How many bytes are classified.</summary>
    public int Length { get; private set; }

    /// <summary>Letters, digits and <c>_-.~+/=</c> (<see cref="TokenRuns.IsTokenChar"/>).</summary>
    public ReadOnlySpan<ulong> Token => _token;

    /// <summary>ASCII letters and digits.</summary>
    public ReadOnlySpan<ulong> Alnum => _alnum;

    /// <summary>Letters, digits, <c>+</c> and <c>/</c>.</summary>
    public ReadOnlySpan<ulong> Base64 => _base64;

    /// <summary>The digits 0–9.</summary>
    public ReadOnlySpan<ulong> Digit => _digit;

    /// <summary>A card number's group separators: space, <c>-</c> and <c>.</c>.</summary>
    public ReadOnlySpan<ulong> Separator => _separator;

    /// <summary>The digits a card number may start with, 2–6.</summary>
    public ReadOnlySpan<ulong> Issuer => _issuer;

    /// <summary>Forgets every class (the text was compacted or replaced).</summary>
    public void Reset()
    {
        var words = Math.Min(_token.Length, (Length / Block) + 2);
        _token.AsSpan(0, words).Clear();
        _alnum.AsSpan(0, words).Clear();
        _base64.AsSpan(0, words).Clear();
        _digit.AsSpan(0, words).Clear();
        _separator.AsSpan(0, words).Clear();
        _issuer.AsSpan(0, words).Clear();
        Length = 0;
    }

    /// <summary>
    /// Classifies what <paramref name="bytes"/> adds to the text classified so far (whose bytes it must start with):
    /// the last, partly filled word again, then the new words.
    /// </summary>
    public ByteClasses Extend(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == Length)
        {
            return this;
        }

        var words = (bytes.Length + Block - 1) / Block;
        if (words + 1 > _token.Length)
        {
            Grow(Math.Max(words + 1, _token.Length * 2));
        }

        ref var origin = ref MemoryMarshal.GetReference(bytes);
        var w = Length / Block;
        for (; (w + 1) * Block <= bytes.Length; w++)
        {
            Classify(ref origin, w * Block, w, 0);
        }

        if (w * Block < bytes.Length)
        {
            ClassifyTail(bytes, w);
        }

        Length = bytes.Length;
        return this;
    }

    /// <summary>Classes of a whole text on its own (a screen row, a test's text).</summary>
    public static ByteClasses Of(ReadOnlySpan<byte> bytes) => new ByteClasses().Extend(bytes);

    /// <summary>
    /// The start of the run of set bits of <paramref name="map"/> that ends at <paramref name="end"/> (at most the text's
    /// length): <paramref name="end"/> itself when the byte before it is not of the class. Word by word, not byte by byte.
    /// </summary>
    public static int RunStart(ReadOnlySpan<ulong> map, int end)
    {
        var w = end >> 6;
        // The clear bits below `end` in its word (none when `end` starts a word: that word is not looked at).
        var clear = ~map[w] & ((1UL << (end & 63)) - 1);
        while (clear == 0)
        {
            if (w == 0)
            {
                return 0;
            }

            w--;
            clear = ~map[w];
        }

        return (w * Block) + Block - BitOperations.LeadingZeroCount(clear);
    }

    /// <summary>
    /// The first byte of [<paramref name="from"/>, <paramref name="before"/>) whose bit in <paramref name="map"/> is
    /// set, or <paramref name="before"/> when there is none; <paramref name="before"/> is at most the text's length.
    /// Word by word: a search of a few dozen bytes costs less than a vector search's set-up.
    /// </summary>
    public static int NextSet(ReadOnlySpan<ulong> map, int from, int before) => Next(map, from, before, 0);

    /// <summary>The first byte of [<paramref name="from"/>, <paramref name="before"/>) whose bit is clear, or <paramref name="before"/>.</summary>
    public static int NextClear(ReadOnlySpan<ulong> map, int from, int before) => Next(map, from, before, ulong.MaxValue);

    private static int Next(ReadOnlySpan<ulong> map, int from, int before, ulong flip)
    {
        if (from >= before)
        {
            return before;
        }

        var w = from >> 6;
        var bits = (map[w] ^ flip) & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            w++;
            if (w * Block >= before)
            {
                return before;
            }

            bits = map[w] ^ flip;
        }

        return Math.Min(before, (w * Block) + BitOperations.TrailingZeroCount(bits));
    }

    /// <summary>The bits of <paramref name="map"/> for bytes [<paramref name="position"/>, <paramref name="position"/> + 64): past the text they are clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong BitsAt(ReadOnlySpan<ulong> map, int position)
    {
        var w = position >> 6;
        var shift = position & 63;
        var low = map[w] >> shift;
        return shift == 0 ? low : low | (map[w + 1] << (64 - shift));
    }

    /// <summary>
    /// Classifies the last, partly filled word <paramref name="w"/> of <paramref name="bytes"/>: from the 64 bytes that end
    /// the text, shifted down to the word's start, so nothing is copied (every push ends inside a word). A text shorter
    /// than a word is classified from a zero-padded copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private void ClassifyTail(ReadOnlySpan<byte> bytes, int w)
    {
        var rest = bytes.Length - (w * Block);
        if (bytes.Length >= Block)
        {
            // The shift drops the bytes before the word and leaves every bit past the text clear.
            Classify(ref MemoryMarshal.GetReference(bytes), bytes.Length - Block, w, Block - rest);
        }
        else
        {
            Span<byte> padded = stackalloc byte[Block];
            bytes.CopyTo(padded);
            padded[rest..].Clear();
            // A zero byte is in no class, so the padding left every bit past the text clear.
            Classify(ref MemoryMarshal.GetReference(padded), 0, w, 0);
        }

        // The word after it is clear too.
        (_token[w + 1], _alnum[w + 1], _base64[w + 1], _digit[w + 1], _separator[w + 1], _issuer[w + 1]) = (0, 0, 0, 0, 0, 0);
    }

    /// <summary>Classifies the 64 bytes from <paramref name="offset"/> into word <paramref name="w"/>, each mask shifted down by <paramref name="shift"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Classify(ref byte origin, int offset, int w, int shift)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref origin, (nuint)offset);
            var letters = Vector512.LessThan((v | Vector512.Create((byte)0x20)) - Vector512.Create((byte)'a'), Vector512.Create((byte)26));
            var digits = Vector512.LessThan(v - Vector512.Create((byte)'0'), Vector512.Create((byte)10));
            var plusSlash = Vector512.Equals(v, Vector512.Create((byte)'+')) | Vector512.Equals(v, Vector512.Create((byte)'/'));
            // '-' '.' (0x2D, 0x2E), and '/' again; '=', '_', '~'.
            var dashDot = Vector512.LessThan(v - Vector512.Create((byte)0x2D), Vector512.Create((byte)2));
            var symbols = dashDot | plusSlash | Vector512.Equals(v, Vector512.Create((byte)'=')) | Vector512.Equals(v, Vector512.Create((byte)'_')) |
                Vector512.Equals(v, Vector512.Create((byte)'~'));
            var alnum = letters | digits;
            _alnum[w] = alnum.ExtractMostSignificantBits() >> shift;
            _token[w] = (alnum | symbols).ExtractMostSignificantBits() >> shift;
            _base64[w] = (alnum | plusSlash).ExtractMostSignificantBits() >> shift;
            _digit[w] = digits.ExtractMostSignificantBits() >> shift;
            _separator[w] = (dashDot | Vector512.Equals(v, Vector512.Create((byte)' '))).ExtractMostSignificantBits() >> shift;
            _issuer[w] = Vector512.LessThan(v - Vector512.Create((byte)'2'), Vector512.Create((byte)5)).ExtractMostSignificantBits() >> shift;
            return;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            ulong token = 0, alnumBits = 0, base64 = 0, digitBits = 0, separator = 0, issuer = 0;
            for (var half = 0; half < 2; half++)
            {
                var v = Vector256.LoadUnsafe(ref origin, (nuint)(offset + (32 * half)));
                var letters = Vector256.LessThan((v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)26));
                var digits = Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10));
                var plusSlash = Vector256.Equals(v, Vector256.Create((byte)'+')) | Vector256.Equals(v, Vector256.Create((byte)'/'));
                var dashDot = Vector256.LessThan(v - Vector256.Create((byte)0x2D), Vector256.Create((byte)2));
                var symbols = dashDot | plusSlash | Vector256.Equals(v, Vector256.Create((byte)'=')) | Vector256.Equals(v, Vector256.Create((byte)'_')) |
                    Vector256.Equals(v, Vector256.Create((byte)'~'));
                var alnum = letters | digits;
                var up = 32 * half;
                alnumBits |= (ulong)alnum.ExtractMostSignificantBits() << up;
                token |= (ulong)(alnum | symbols).ExtractMostSignificantBits() << up;
                base64 |= (ulong)(alnum | plusSlash).ExtractMostSignificantBits() << up;
                digitBits |= (ulong)digits.ExtractMostSignificantBits() << up;
                separator |= (ulong)(dashDot | Vector256.Equals(v, Vector256.Create((byte)' '))).ExtractMostSignificantBits() << up;
                issuer |= (ulong)Vector256.LessThan(v - Vector256.Create((byte)'2'), Vector256.Create((byte)5)).ExtractMostSignificantBits() << up;
            }

            (_token[w], _alnum[w], _base64[w], _digit[w], _separator[w], _issuer[w]) =
                (token >> shift, alnumBits >> shift, base64 >> shift, digitBits >> shift, separator >> shift, issuer >> shift);
            return;
        }

        ClassifyScalar(ref origin, offset, w, shift);
    }

    private void ClassifyScalar(ref byte origin, int offset, int w, int shift)
    {
        ulong token = 0, alnum = 0, base64 = 0, digit = 0, separator = 0, issuer = 0;
        for (var k = 0; k < Block; k++)
        {
            var b = Unsafe.Add(ref origin, offset + k);
            var bit = 1UL << k;
            token |= TokenRuns.IsTokenChar(b) ? bit : 0;
            alnum |= ByteClass.IsAlnum(b) ? bit : 0;
            base64 |= ByteClass.IsBase64(b) ? bit : 0;
            digit |= ByteClass.IsDigit(b) ? bit : 0;
            separator |= b is (byte)' ' or (byte)'-' or (byte)'.' ? bit : 0;
            issuer |= b is >= (byte)'2' and <= (byte)'6' ? bit : 0;
        }

        (_token[w], _alnum[w], _base64[w], _digit[w], _separator[w], _issuer[w]) =
            (token >> shift, alnum >> shift, base64 >> shift, digit >> shift, separator >> shift, issuer >> shift);
    }

    /// <summary>Gives the grown bitmaps back to the pool (they describe unmasked output: cleared) and starts empty.</summary>
    public void Release()
    {
        Return(ref _token);
        Return(ref _alnum);
        Return(ref _base64);
        Return(ref _digit);
        Return(ref _separator);
        Return(ref _issuer);
        Length = 0;
    }

    private void Grow(int words)
    {
        var used = (Length / Block) + 2;
        Grow(ref _token, used, words);
        Grow(ref _alnum, used, words);
        Grow(ref _base64, used, words);
        Grow(ref _digit, used, words);
        Grow(ref _separator, used, words);
        Grow(ref _issuer, used, words);
    }

    // Pooled like the shadow text's bytes, so a session's masker allocates nothing more as its text grows; a rented
    // array is cleared past what is copied, since every bit past the text must be clear.
    private static void Grow(ref ulong[] map, int used, int words)
    {
        var grown = ArrayPool<ulong>.Shared.Rent(words);
        var copied = Math.Min(used, map.Length);
        map.AsSpan(0, copied).CopyTo(grown);
        grown.AsSpan(copied).Clear();
        if (map.Length > InitialWords)
        {
            ArrayPool<ulong>.Shared.Return(map, clearArray: true);
        }

        map = grown;
    }

    private static void Return(ref ulong[] map)
    {
        if (map.Length > InitialWords)
        {
            ArrayPool<ulong>.Shared.Return(map, clearArray: true);
        }

        map = new ulong[InitialWords];
    }
}
