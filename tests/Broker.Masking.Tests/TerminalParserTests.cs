using System.Text;
using Broker.Masking.Text;
using FluentAssertions;

namespace Broker.Masking.Tests;

/// <summary>
/// The parser hands a CSI sequence whole in one chunk on in one go, and one split across chunks byte by byte: both must
/// give the same events, whatever the sequence holds (parameters past the fourth or past 99,999, private markers,
/// intermediates, a control, an ESC, DEL or a byte past ASCII inside it, CAN or SUB aborting it) and wherever the chunks end.
/// </summary>
public class TerminalParserTests
{
    [Fact]
    public void Control_sequences_give_the_same_events_whatever_the_chunks()
    {
        var random = new Random(27);
        for (var round = 0; round < 400; round++)
        {
            var input = RandomOutput(random);
            var whole = Events(input, [input.Length]);

            Events(input, [.. Enumerable.Repeat(1, input.Length)]).Should().Equal(whole, "one byte at a time, round {0}", round);
            Events(input, RandomSplits(random, input.Length)).Should().Equal(whole, "in random chunks, round {0}", round);
        }
    }

    [Theory]
    [InlineData("a\u001b[1;33mb", "V a 0|CSI 1 0 0 m 2 1 33 0 0 7|V b 8|open -1")]
    [InlineData("\u001b[?25l", "CSI 0 63 0 l 1 25 0 0 0 5|open -1")]
    [InlineData("\u001b[1;2;3;4;5;6H", "CSI 0 0 0 H 4 1 2 3 4 13|open -1")]
    [InlineData("\u001b[1234567m", "CSI 0 0 0 m 1 99999 0 0 0 9|open -1")]
    [InlineData("\u001b[1\n2m", "V \n 3|CSI 0 0 0 m 1 12 0 0 0 5|open -1")]
    [InlineData("\u001b[1\u00182m", "V 2m 4|open -1")]
    [InlineData("\u001b[1\u001b[2m", "CSI 3 0 0 m 1 2 0 0 0 6|open -1")]
    [InlineData("\u001b[ q", "CSI 0 0 32 q 0 0 0 0 0 3|open -1")]
    [InlineData("ab\u001b[12", "V ab 0|open 2")]
    public void A_control_sequence_gives_the_event_its_bytes_make(string input, string expected)
    {
        var bytes = Encoding.Latin1.GetBytes(input);

        string.Join("|", Events(bytes, [bytes.Length])).Should().Be(expected);
        string.Join("|", Events(bytes, [.. Enumerable.Repeat(1, bytes.Length)])).Should().Be(expected);
    }

    /// <summary>The events for <paramref name="input"/> fed in chunks of <paramref name="sizes"/>, and where a sequence is left open at the end.</summary>
    private static List<string> Events(byte[] input, int[] sizes)
    {
        var parser = default(TerminalParser);
        var sink = new Recorder();
        var offset = 0;
        foreach (var size in sizes)
        {
            parser.Feed(input.AsSpan(offset, size), offset, sink);
            offset += size;
        }

        sink.Events.Add($"open {parser.PendingSequence}");
        return sink.Events;
    }

    private static byte[] RandomOutput(Random random)
    {
        byte[][] pieces =
        [
            "text "u8.ToArray(), "\n"u8.ToArray(), "\r"u8.ToArray(), "\t"u8.ToArray(), [0x1B], "\u001b["u8.ToArray(),
            "\u001b[0m"u8.ToArray(), "\u001b[K"u8.ToArray(), "\u001b]0;title\u0007"u8.ToArray(), "\u001b7"u8.ToArray(),
            "\u001b(B"u8.ToArray(), [0x18], [0x1A], [0x7F], [0x08], [0xC3, 0xA9], [0xE2, 0x80, 0x8B], [0x80], [0xFF],
        ];
        var parameters = "0123456789;:<=>? !\"/"u8.ToArray();
        var finals = "@AHJKlmq~`"u8.ToArray();
        var output = new List<byte>();
        var count = random.Next(1, 30);
        for (var k = 0; k < count; k++)
        {
            if (random.Next(2) == 0)
            {
                output.AddRange(pieces[random.Next(pieces.Length)]);
                continue;
            }

            // A control sequence: parameters, now and then an odd byte inside, a final byte (or none: cut off).
            output.AddRange("\u001b["u8.ToArray());
            var length = random.Next(0, 14);
            for (var p = 0; p < length; p++)
            {
                output.Add(random.Next(12) == 0 ? pieces[random.Next(pieces.Length)][0] : parameters[random.Next(parameters.Length)]);
            }

            if (random.Next(8) != 0)
            {
                output.Add(finals[random.Next(finals.Length)]);
            }
        }

        return [.. output];
    }

    private static int[] RandomSplits(Random random, int length)
    {
        var sizes = new List<int>();
        var left = length;
        while (left > 0)
        {
            var size = Math.Min(left, random.Next(1, 9));
            sizes.Add(size);
            left -= size;
        }

        return [.. sizes];
    }

    /// <summary>Records the events; runs of text or payload next to each other are joined (a chunk's end splits them).</summary>
    private sealed class Recorder : ITerminalSink
    {
        private string _joinable = string.Empty;
        private long _joinEnd = -1;
        private long _joinStart;
        private string _joined = string.Empty;

        public List<string> Events { get; } = [];

        public void Visible(ReadOnlySpan<byte> text, long rawOffset) => Join("V", text, rawOffset);

        public void Control(byte control, long rawOffset) => Add($"C {control} {rawOffset}");

        public void Csi(in CsiSequence sequence, long rawOffset) => Add(
            $"CSI {sequence.Start} {sequence.Private} {sequence.Intermediate} {(char)sequence.Final} {sequence.Count} {sequence.P0} {sequence.P1} {sequence.P2} {sequence.P3} {rawOffset}");

        public void Escape(byte intermediate, byte final, long rawOffset) => Add($"E {intermediate} {final} {rawOffset}");

        public void StringStart(byte introducer, long rawOffset) => Add($"SS {introducer} {rawOffset}");

        public void StringBytes(ReadOnlySpan<byte> payload, long rawOffset) => Join("SB", payload, rawOffset);

        public void StringEnd(long rawOffset) => Add($"SE {rawOffset}");

        private void Add(string e)
        {
            Events.Add(e);
            _joinable = string.Empty;
        }

        private void Join(string kind, ReadOnlySpan<byte> bytes, long rawOffset)
        {
            var text = Encoding.Latin1.GetString(bytes);
            if (kind == _joinable && rawOffset == _joinEnd)
            {
                Events.RemoveAt(Events.Count - 1);
                _joined += text;
            }
            else
            {
                _joined = text;
                _joinStart = rawOffset;
            }

            Events.Add($"{kind} {_joined} {_joinStart}");
            _joinable = kind;
            _joinEnd = rawOffset + bytes.Length;
        }
    }
}
