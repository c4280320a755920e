using System.Text;
using Broker.Masking.Detection;

namespace Broker.Masking.Tests;

/// <summary>
/// The token-run anchors (where a token may start in a run of at least <see cref="TokenRuns.MinRun"/> token
/// characters: the run's start and every place after a separator inside it) must be exactly those of a plain
/// byte-by-byte search, from every start: the vector search begins only <see cref="TokenRuns.MinRun"/> − 1 bytes
/// before its start, and a run that began earlier must still count whole.
/// </summary>
public class TokenRunsTests
{
    [Fact]
    public void Anchors_from_every_start_are_those_of_a_plain_search()
    {
        var random = new Random(17);
        // Runs around the minimum length, separators inside them, and breaks between them.
        const string alphabet = "aZ09_-.~+/=aaaaZZZ999 \n:(";
        for (var round = 0; round < 150; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 260);
            while (text.Length < length)
            {
                text.Append(random.Next(6) == 0
                    ? new string('x', random.Next(17, 23)) + alphabet[random.Next(alphabet.Length)]
                    : alphabet[random.Next(alphabet.Length)].ToString());
            }

            var bytes = Encoding.ASCII.GetBytes(text.ToString());
            for (var from = 0; from <= bytes.Length; from++)
            {
                var before = random.Next(3) == 0 ? random.Next(from, bytes.Length + 1) : bytes.Length;
                Assert.Equal(PlainAnchors(bytes, from, before), Anchors(bytes, from, before));
            }
        }
    }

    [Fact]
    public void Anchors_of_texts_long_enough_for_the_four_word_step_are_those_of_a_plain_search()
    {
        // The eight-word step (512-bit vectors) or the four-word step runs wherever the maps hold its words and the one
        // after them, open run and end of text included; the four-word and then the one-word step take the last words of
        // a text whose maps are the first 16 words (texts of up to 960 bytes: words 1–8 in one wide step, 9–12 in a narrow
        // one, the rest one by one). Texts of several hundred bytes, with runs across every word boundary and starts, ends and open runs
        // at every alignment; the test runs under AVX2 alone too, where only the four-word step is taken.
        var random = new Random(31);
        const string alphabet = "aZ09_-.~+/=aaaaZZZ999 \n:(";
        for (var round = 0; round < 60; round++)
        {
            var text = new StringBuilder();
            var length = round % 4 == 0 ? random.Next(897, 961) : random.Next(320, 1400);
            while (text.Length < length)
            {
                text.Append(random.Next(5) == 0
                    ? new string('x', random.Next(15, 70)) + alphabet[random.Next(alphabet.Length)]
                    : alphabet[random.Next(alphabet.Length)].ToString());
            }

            var bytes = Encoding.ASCII.GetBytes(text.ToString());
            var classes = ByteClasses.Of(bytes);
            for (var trial = 0; trial < 40; trial++)
            {
                var from = random.Next(0, bytes.Length + 1);
                var before = random.Next(2) == 0 ? bytes.Length : random.Next(from, bytes.Length + 1);
                // An open run that starts anywhere at or after `from`: every anchor from there on counts, long run or not.
                var open = random.Next(3) == 0 ? random.Next(from, before + 1) : before;
                var expected = PlainAnchors(bytes, from, open < before ? open : before);
                for (var q = Math.Max(from, open); q < before; q++)
                {
                    if (TokenRuns.IsTokenChar(bytes[q]) && (q == 0 || !TokenRuns.IsTokenChar(bytes[q - 1]) || !ByteClass.IsAlnum(bytes[q - 1])))
                    {
                        expected.Add(q);
                    }
                }

                var visitor = new Collect([]);
                TokenRuns.ForEachAnchor(classes, from, before, open, ref visitor);
                Assert.Equal(expected, visitor.Positions);
            }
        }
    }

    [Fact]
    public void A_run_of_exactly_the_minimum_length_anchors_wherever_it_lies_in_the_words()
    {
        // Such a run holds only one or two whole aligned bytes of the token mask, which may lie in the next word: the words
        // without one are passed over, and none of these runs may be lost with them.
        for (var at = 0; at < 200; at++)
        {
            var text = new StringBuilder(new string(' ', 260));
            for (var k = 0; k < TokenRuns.MinRun; k++)
            {
                text[at + k] = k == 9 ? '-' : 'q';
            }

            var bytes = Encoding.ASCII.GetBytes(text.ToString());
            Anchors(bytes, 0, bytes.Length).Should().Equal([at, at + 10]);
            Assert.Equal(PlainAnchors(bytes, 0, bytes.Length), Anchors(bytes, 0, bytes.Length));
        }
    }

    [Fact]
    public void A_run_that_started_long_before_the_start_still_anchors_after_its_separators()
    {
        var bytes = Encoding.ASCII.GetBytes(new string('a', 150) + "-b" + new string('c', 70) + "/d end");
        for (var from = 0; from <= bytes.Length; from++)
        {
            Assert.Equal(PlainAnchors(bytes, from, bytes.Length), Anchors(bytes, from, bytes.Length));
        }

        Assert.Equal([0, 151, 223], Anchors(bytes, 0, bytes.Length));
    }

    [Fact]
    public void Anchors_with_an_open_end_add_every_anchor_of_the_run_the_text_ends_with_whatever_its_length()
    {
        var random = new Random(23);
        const string alphabet = "aZ09_-.~+/=aaaaZZZ999 \n:(";
        for (var round = 0; round < 150; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 200);
            while (text.Length < length)
            {
                text.Append(random.Next(6) == 0
                    ? new string('x', random.Next(3, 23)) + alphabet[random.Next(alphabet.Length)]
                    : alphabet[random.Next(alphabet.Length)].ToString());
            }

            var bytes = Encoding.ASCII.GetBytes(text.ToString());
            var classes = ByteClasses.Of(bytes);
            var open = bytes.Length;
            while (open > 0 && TokenRuns.IsTokenChar(bytes[open - 1]))
            {
                open--;
            }

            for (var from = 0; from <= bytes.Length; from++)
            {
                // The definition: the long runs' anchors before the open run, then each of its own anchors, one byte at a time.
                var expected = PlainAnchors(bytes, from, open);
                for (var q = Math.Max(from, open); q < bytes.Length; q++)
                {
                    if (q == open || !ByteClass.IsAlnum(bytes[q - 1]))
                    {
                        expected.Add(q);
                    }
                }

                var visitor = new Collect([]);
                TokenRuns.ForEachAnchor(classes, from, bytes.Length, open, ref visitor);
                Assert.Equal(expected, visitor.Positions);
            }
        }
    }

    private static List<int> Anchors(byte[] bytes, int from, int before)
    {
        var visitor = new Collect([]);
        TokenRuns.ForEachAnchor(bytes, from, before, ref visitor);
        return visitor.Positions;
    }

    /// <summary>The definition, one byte at a time: a position of a run of at least MinRun token characters that starts it or follows a separator.</summary>
    private static List<int> PlainAnchors(byte[] bytes, int from, int before)
    {
        var anchors = new List<int>();
        for (var q = from; q < before; q++)
        {
            if (!TokenRuns.IsTokenChar(bytes[q]) || (q > 0 && TokenRuns.IsTokenChar(bytes[q - 1]) && ByteClass.IsAlnum(bytes[q - 1])))
            {
                continue;
            }

            var start = q;
            while (start > 0 && TokenRuns.IsTokenChar(bytes[start - 1]))
            {
                start--;
            }

            var end = q;
            while (end < bytes.Length && TokenRuns.IsTokenChar(bytes[end]))
            {
                end++;
            }

            if (end - start >= TokenRuns.MinRun)
            {
                anchors.Add(q);
            }
        }

        return anchors;
    }

    private struct Collect(List<int> positions) : IAnchorVisitor
    {
        public List<int> Positions { get; } = positions;

        public readonly void Anchor(int position) => Positions.Add(position);

        public readonly ulong Worth(int block, ulong anchors) => anchors;
    }
}
