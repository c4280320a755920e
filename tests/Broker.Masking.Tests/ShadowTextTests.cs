using Broker.Masking.Text;

namespace Broker.Masking.Tests;

/// <summary>
/// The shadow text's lookups between its positions and the raw bytes behind them must be those of a plain walk over every
/// character, however many segments (runs of consecutive raw bytes, broken by each escape sequence) the text has and
/// however far from its end the position or offset asked for lies: recent segments are walked back to, older ones
/// searched for.
/// </summary>
public class ShadowTextTests
{
    [Fact]
    public void Lookups_at_every_position_and_raw_offset_are_those_of_a_plain_walk()
    {
        var random = new Random(41);
        for (var round = 0; round < 40; round++)
        {
            var text = new ShadowText();
            // The raw offset of each character appended, by absolute position.
            var raws = new List<long>();
            long basePosition = 0;
            var raw = (long)random.Next(0, 5);
            var appends = random.Next(1, 120);
            for (var a = 0; a < appends; a++)
            {
                // A gap in the raw offsets (an escape sequence left out) starts a segment; no gap continues the last one.
                raw += random.Next(3) == 0 ? 0 : random.Next(1, 9);
                var run = random.Next(1, 12);
                text.Append(new byte[run], raw);
                for (var k = 0; k < run; k++)
                {
                    raws.Add(raw + k);
                }

                raw += run;
                if (random.Next(25) == 0 && text.End > text.Base + 2)
                {
                    var keep = text.Base + random.Next(1, (int)(text.End - text.Base));
                    text.Compact(keep);
                    basePosition = keep;
                }

                Check(text, raws, basePosition);
            }
        }
    }

    private static void Check(ShadowText text, List<long> raws, long basePosition)
    {
        Assert.Equal(basePosition, text.Base);
        for (var p = basePosition; p < text.End; p++)
        {
            Assert.Equal(raws[(int)p], text.RawOf(p));
            var run = 1;
            while (p + run < text.End && raws[(int)(p + run)] == raws[(int)p] + run)
            {
                run++;
            }

            Assert.Equal((raws[(int)p], run), text.RunAt(p, text.End));
        }

        // From the first kept character's own offset: what lies before it was dropped with the text before it.
        for (var offset = raws[(int)basePosition]; offset <= raws[^1] + 3; offset++)
        {
            var expected = basePosition;
            while (expected < text.End && raws[(int)expected] < offset)
            {
                expected++;
            }

            Assert.Equal(expected, text.PositionOf(offset));
        }
    }
}
