using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Detectors;

namespace Broker.Masking.Tests;

/// <summary>
/// The byte classes a view keeps with its text are classified once, as the text grows, and read by the token-run
/// anchors, the key-body blocks and the card shapes in place of their own vector passes: grown in pieces cut at every
/// point they must equal each byte's class, and each reader must find what a plain byte-by-byte search finds.
/// </summary>
public class ByteClassesTests
{
    // Every class and its edges: letters, digits (issuer and not), token symbols, base64 symbols, separators, and bytes in no class.
    private const string Alphabet = "aZmz09271+/=_~-. \n\t:@(\u001b";

    [Fact]
    public void Classes_grown_at_every_split_point_are_those_of_each_byte()
    {
        var random = new Random(23);
        for (var round = 0; round < 60; round++)
        {
            var bytes = RandomText(random, random.Next(0, 300));
            for (var split = 0; split <= bytes.Length; split++)
            {
                var classes = new ByteClasses();
                classes.Extend(bytes.AsSpan(0, split));
                classes.Extend(bytes.AsSpan(0, Math.Min(bytes.Length, split + random.Next(0, 70))));
                classes.Extend(bytes);
                AssertClasses(bytes, classes);
            }

            // Reset (after compaction) and grown again from the front, then in single bytes.
            var reused = new ByteClasses();
            reused.Extend(bytes);
            reused.Reset();
            for (var length = 0; length <= bytes.Length; length++)
            {
                reused.Extend(bytes.AsSpan(0, length));
            }

            AssertClasses(bytes, reused);
        }
    }

    [Fact]
    public void Base64_blocks_from_every_start_are_those_of_a_plain_search()
    {
        var random = new Random(29);
        for (var round = 0; round < 80; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 260);
            while (text.Length < length)
            {
                text.Append(random.Next(5) == 0 ? RandomBase64(random, random.Next(28, 70)) : Alphabet[random.Next(Alphabet.Length)].ToString());
            }

            var bytes = Encoding.Latin1.GetBytes(text.ToString());
            var classes = ByteClasses.Of(bytes);
            for (var from = 0; from <= bytes.Length; from++)
            {
                Assert.Equal(PlainBase64Block(bytes, from), Base64Blocks.Next(classes, from));
            }
        }
    }

    [Fact]
    public void Base64_blocks_in_texts_of_many_words_are_those_of_a_plain_search()
    {
        // Eight 64-bit reads at once wherever the map holds them and the word after them, then read by read: texts of
        // several hundred bytes, mostly without a block, so the first one may lie in any lane of a step, in a later step,
        // or past the steps (a text that fills its maps: 15 words of 16), at every alignment of the start.
        var random = new Random(41);
        for (var round = 0; round < 40; round++)
        {
            var text = new StringBuilder();
            var length = round % 4 == 0 ? random.Next(897, 961) : random.Next(300, 1400);
            while (text.Length < length)
            {
                text.Append(random.Next(40) == 0 ? RandomBase64(random, random.Next(28, 70)) : Alphabet[random.Next(Alphabet.Length)].ToString());
            }

            var bytes = Encoding.Latin1.GetBytes(text.ToString());
            var classes = ByteClasses.Of(bytes);
            for (var trial = 0; trial < 80; trial++)
            {
                var from = random.Next(0, bytes.Length + 1);
                Assert.Equal(PlainBase64Block(bytes, from), Base64Blocks.Next(classes, from));
            }
        }
    }

    [Fact]
    public void The_next_base64_byte_and_the_next_other_byte_are_those_of_a_plain_search()
    {
        // The access key detector reads the runs of base64 after a key id this way (between any two points of the text).
        var random = new Random(37);
        for (var round = 0; round < 60; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 260);
            while (text.Length < length)
            {
                text.Append(random.Next(4) == 0 ? RandomBase64(random, random.Next(1, 90)) : Alphabet[random.Next(Alphabet.Length)].ToString());
            }

            var bytes = Encoding.Latin1.GetBytes(text.ToString());
            var classes = ByteClasses.Of(bytes);
            for (var from = 0; from <= bytes.Length; from++)
            {
                foreach (var before in new[] { from, Math.Min(bytes.Length, from + random.Next(0, 130)), bytes.Length })
                {
                    Assert.Equal(PlainNext(bytes, from, before, base64: true), ByteClasses.NextSet(classes.Base64, from, before));
                    Assert.Equal(PlainNext(bytes, from, before, base64: false), ByteClasses.NextClear(classes.Base64, from, before));
                }
            }
        }
    }

    [Fact]
    public void Card_shapes_between_every_start_and_end_are_those_of_a_plain_test()
    {
        var random = new Random(31);
        const string cardish = "4111 1111-1111.11112345678901234567 -.a";
        for (var round = 0; round < 60; round++)
        {
            var length = random.Next(0, 200);
            var bytes = new byte[length];
            for (var i = 0; i < length; i++)
            {
                bytes[i] = (byte)(random.Next(4) == 0 ? Alphabet[random.Next(Alphabet.Length)] : cardish[random.Next(cardish.Length)]);
            }

            var classes = ByteClasses.Of(bytes);
            for (var from = 0; from <= length - 9; from++)
            {
                foreach (var last in new[] { from, from + random.Next(0, 70), length - 9 })
                {
                    var judged = Math.Min(last, length - 9);
                    Assert.Equal(PlainShape(bytes, from, judged), CreditCardDetector.NextShape(classes, from, judged));
                }
            }
        }
    }

    [Fact]
    public void Card_shapes_in_texts_long_enough_for_the_four_word_test_are_those_of_a_plain_test()
    {
        // The eight-word test (512-bit vectors) or the four-word test runs wherever the maps hold its words and the one after
        // them, the starts before the first and after the last judged position masked off lane by lane; the four-word and
        // then the one-word test take the last words of a text that fills its maps (15 words of 16: texts of 897 to 960
        // bytes, a quarter of those below). Texts of several hundred bytes, mostly without a shape, so the first one may
        // lie in any lane of a group, or in none. Under AVX2 alone only the four-word test runs.
        var random = new Random(37);
        const string cardish = "4111 1111-1111.11112345678901234567 -.a";
        for (var round = 0; round < 40; round++)
        {
            var length = round % 4 == 0 ? random.Next(897, 961) : random.Next(300, 1200);
            var bytes = new byte[length];
            var dense = random.Next(3) == 0;
            for (var i = 0; i < length; i++)
            {
                bytes[i] = (byte)(dense && random.Next(8) == 0 ? cardish[random.Next(cardish.Length)] : Alphabet[random.Next(Alphabet.Length)]);
            }

            // A few card numbers at random places, so a shape may start at any bit of any word.
            for (var planted = random.Next(0, 3); planted > 0; planted--)
            {
                var at = random.Next(0, length - 19);
                "4111 1111 1111 1111"u8.CopyTo(bytes.AsSpan(at));
            }

            var classes = ByteClasses.Of(bytes);
            for (var trial = 0; trial < 60; trial++)
            {
                var from = random.Next(0, length - 8);
                var judged = random.Next(2) == 0 ? length - 9 : random.Next(from, length - 8);
                Assert.Equal(PlainShape(bytes, from, judged), CreditCardDetector.NextShape(classes, from, judged));
            }
        }
    }

    private static void AssertClasses(byte[] bytes, ByteClasses classes)
    {
        Assert.Equal(bytes.Length, classes.Length);
        var words = (bytes.Length / 64) + 2;
        for (var i = 0; i < words * 64; i++)
        {
            var inText = i < bytes.Length;
            var b = inText ? bytes[i] : (byte)0;
            Assert.Equal(inText && TokenRuns.IsTokenChar(b), Bit(classes.Token, i));
            Assert.Equal(inText && ByteClass.IsAlnum(b), Bit(classes.Alnum, i));
            Assert.Equal(inText && ByteClass.IsBase64(b), Bit(classes.Base64, i));
            Assert.Equal(inText && ByteClass.IsDigit(b), Bit(classes.Digit, i));
            Assert.Equal(inText && b is (byte)' ' or (byte)'-' or (byte)'.', Bit(classes.Separator, i));
            Assert.Equal(inText && b is >= (byte)'2' and <= (byte)'6', Bit(classes.Issuer, i));
        }
    }

    private static bool Bit(ReadOnlySpan<ulong> map, int i) => (map[i >> 6] >> (i & 63) & 1) != 0;

    private static int PlainNext(byte[] bytes, int from, int before, bool base64)
    {
        var at = from;
        while (at < before && ByteClass.IsBase64(bytes[at]) != base64)
        {
            at++;
        }

        return at;
    }

    private static int PlainBase64Block(byte[] bytes, int from)
    {
        for (var p = from; p + 32 <= bytes.Length; p += 32)
        {
            if (bytes.AsSpan(p, 32).ToArray().All(ByteClass.IsBase64))
            {
                return p;
            }
        }

        return -1;
    }

    /// <summary>The card shape, one byte at a time: an issuer digit, three digits, then a digit or a separator and four digits.</summary>
    private static int PlainShape(byte[] b, int from, int last)
    {
        for (var p = from; p <= last; p++)
        {
            if (b[p] is >= (byte)'2' and <= (byte)'6' && ByteClass.IsDigit(b[p + 1]) && ByteClass.IsDigit(b[p + 2]) && ByteClass.IsDigit(b[p + 3]) &&
                ByteClass.IsDigit(b[p + 5]) && ByteClass.IsDigit(b[p + 6]) && ByteClass.IsDigit(b[p + 7]) &&
                (ByteClass.IsDigit(b[p + 4]) || (b[p + 4] is (byte)' ' or (byte)'-' or (byte)'.' && ByteClass.IsDigit(b[p + 8]))))
            {
                return p;
            }
        }

        return -1;
    }

    private static byte[] RandomText(Random random, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = random.Next(10) == 0 ? (byte)random.Next(256) : (byte)Alphabet[random.Next(Alphabet.Length)];
        }

        return bytes;
    }

    private static string RandomBase64(Random random, int length)
    {
        const string base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        return new string([.. Enumerable.Range(0, length).Select(_ => base64[random.Next(base64.Length)])]);
    }
}
