using System.Text;
using Recorder.Tests.Support;

namespace Recorder.Tests;

public sealed class TranscriptLinesTests
{
    [Fact]
    public void Escape_sequences_and_controls_are_removed_and_tabs_kept()
    {
        var lines = Lines(new TranscriptLines(), "\u001b[1;32muser@host\u001b[0m:\u001b]0;title\u0007~$ ls\r\na\tb\u001b[K\r\n");

        lines.Select(l => l.Text).Should().Equal("user@host:~$ ls", "a\tb");
    }

    [Fact]
    public void Nothing_of_the_hostile_corpus_survives_in_a_transcript()
    {
        foreach (var (name, text) in HostileText.Corpus)
        {
            var lines = Lines(new TranscriptLines(), text + "\n");
            foreach (var line in lines)
            {
                HostileText.FindUnsafe(line.Text, allowTab: true).Should().BeNull(name);
                line.Text.Should().NotContain("\n");
            }
        }
    }

    [Fact]
    public void Invisible_and_reordering_characters_are_made_visible()
    {
        var lines = Lines(new TranscriptLines(), "ls \u202Etxt.exe r\u200bm\n");

        lines.Single().Text.Should().Be("ls \\u202etxt.exe r\\u200bm");
    }

    [Fact]
    public void Each_line_carries_the_offset_where_it_started()
    {
        var assembler = new TranscriptLines();
        var lines = new List<TranscriptLine>();

        assembler.Push(10, "one\ntw"u8, lines);
        assembler.Push(20, "o\nthree"u8, lines);
        assembler.Complete(30, lines);

        lines.Select(l => (l.OffsetNanoseconds, l.Text)).Should().Equal((10L, "one"), (10L, "two"), (20L, "three"));
    }

    [Fact]
    public void A_carriage_return_ends_a_line_of_typed_input_when_asked()
    {
        Lines(new TranscriptLines(carriageReturnEndsLine: true), "ls\rexit\r").Select(l => l.Text).Should().Equal("ls", "exit");
        Lines(new TranscriptLines(), "50%\r100%\n").Select(l => l.Text).Should().Equal("50%100%");
    }

    [Fact]
    public void A_line_longer_than_the_budget_comes_in_pieces_that_add_up_to_it()
    {
        var assembler = new TranscriptLines(maxLineCharacters: 100);
        var lines = new List<TranscriptLine>();
        var line = string.Concat(Enumerable.Range(0, 1000).Select(i => (char)('a' + (i % 26))));
        foreach (var chunk in Encoding.UTF8.GetBytes(line + "\nnext\n").Chunk(37))
        {
            assembler.Push(5, chunk, lines);
        }

        assembler.Complete(6, lines);

        lines.Should().HaveCount(11);
        lines.Take(10).Should().OnlyContain(l => l.Text.Length == 100);
        lines.Take(9).Should().OnlyContain(l => l.Continues);
        lines[9].Continues.Should().BeFalse("the newline came right after the tenth piece");
        lines[0].IsContinuation.Should().BeFalse();
        lines.Skip(1).Take(9).Should().OnlyContain(l => l.IsContinuation);
        string.Concat(lines.Take(10).Select(l => l.Text)).Should().Be(line);
        lines[10].Should().Be(new TranscriptLine(5, "next", IsContinuation: false, Continues: false));
    }

    [Fact]
    public void A_piece_never_ends_inside_a_surrogate_pair()
    {
        var lines = Lines(new TranscriptLines(maxLineCharacters: 16), string.Concat(Enumerable.Repeat("ab😀", 20)) + "\n");

        lines.Select(l => l.Text[^1]).Where(char.IsHighSurrogate).Should().BeEmpty();
        string.Concat(lines.Select(l => l.Text)).Should().Be(string.Concat(Enumerable.Repeat("ab😀", 20)));
    }

    [Fact]
    public void A_break_ends_the_line_in_progress()
    {
        var assembler = new TranscriptLines();
        var lines = new List<TranscriptLine>();

        assembler.Push(1, "$ "u8, lines);
        assembler.Break(lines);
        assembler.Break(lines);
        assembler.Push(2, "out\n"u8, lines);

        lines.Select(l => l.Text).Should().Equal("$ ", "out");
    }

    private static List<TranscriptLine> Lines(TranscriptLines assembler, string text)
    {
        var lines = new List<TranscriptLine>();
        assembler.Push(0, Encoding.UTF8.GetBytes(text), lines);
        assembler.Complete(0, lines);
        return lines;
    }
}
