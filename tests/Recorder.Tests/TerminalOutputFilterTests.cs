using System.Buffers;
using System.Text;

namespace Recorder.Tests;

public sealed class TerminalOutputFilterTests
{
    public static TheoryData<string, string> Drawing() => new()
    {
        { "colours and attributes", "\u001b[1;31mred\u001b[0m \u001b[38;2;10;20;30mrgb\u001b[4:3mcurly\u001b[m" },
        { "erase and home", "\u001b[2J\u001b[H\u001b[K\u001b[1J\u001b[?2J" },
        { "alternate screen and cursor visibility", "\u001b[?1049h\u001b[?25l\u001b[?25h\u001b[?1049l" },
        { "cursor moves", "\u001b[5A\u001b[3B\u001b[2C\u001b[D\u001b[10;20H\u001b[5G\u001b[7d\u001b[s\u001b[u" },
        { "cursor style", "\u001b[5 q\u001b[0 q" },
        { "line drawing charset", "\u001b(0lqk\u001b(B\u001b)0\u000e\u000f" },
        { "save, restore, reverse index, full reset", "\u001b7\u001b8\u001bM\u001bD\u001bE\u001bc" },
        { "scrolling margins and regions", "\u001b[3;20r\u001b[2S\u001b[1T\u001b[3L\u001b[2M\u001b[4P\u001b[3@\u001b[5X" },
        { "synchronized output", "\u001b[?2026hframe\u001b[?2026l" },
        { "sixel graphics", "\u001bPq#0;2;0;0;0#0~~@@\u001b\\" },
        { "controls a terminal acts on for layout", "a\tb\r\nc\u0007\bd" },
        { "UTF-8 text of every width", "héllo 日本語 😀 e\u0301" },
        { "soft reset and rectangles", "\u001b[!p\u001b[1;1;5;5$z\u001b[#{\u001b[#}" },
        { "double height line", "\u001b#3top\u001b#4bottom\u001b#8" },
    };

    public static TheoryData<string, string, string, FilteredSequenceKind> Dropped() => new()
    {
        { "OSC 52 clipboard write, BEL", "a\u001b]52;c;aGk=\u0007b", "ab", FilteredSequenceKind.Clipboard },
        { "OSC 52 clipboard write, ST", "a\u001b]52;c;aGk=\u001b\\b", "ab", FilteredSequenceKind.Clipboard },
        { "OSC 52 clipboard read", "\u001b]52;c;?\u0007", "", FilteredSequenceKind.Clipboard },
        { "window title", "\u001b]2;hello\u001b\\", "", FilteredSequenceKind.Title },
        { "icon and title", "\u001b]0;hello\u0007", "", FilteredSequenceKind.Title },
        { "title push", "\u001b[22;0t", "", FilteredSequenceKind.Title },
        { "title report", "\u001b[21t", "", FilteredSequenceKind.Query },
        { "primary device attributes", "\u001b[c", "", FilteredSequenceKind.Query },
        { "secondary device attributes", "\u001b[>c", "", FilteredSequenceKind.Query },
        { "tertiary device attributes", "\u001b[=c", "", FilteredSequenceKind.Query },
        { "cursor position report", "\u001b[6n", "", FilteredSequenceKind.Query },
        { "DEC status report", "\u001b[?6n", "", FilteredSequenceKind.Query },
        { "DECID", "\u001bZ", "", FilteredSequenceKind.Query },
        { "ENQ answerback", "a\u0005b", "ab", FilteredSequenceKind.Query },
        { "DECRQM", "\u001b[?2026$p", "", FilteredSequenceKind.Query },
        { "DECRQSS", "\u001bP$qm\u001b\\", "", FilteredSequenceKind.Query },
        { "XTGETTCAP", "\u001bP+q544e\u001b\\", "", FilteredSequenceKind.Query },
        { "XTVERSION", "\u001b[>0q", "", FilteredSequenceKind.Query },
        { "checksum of a screen area", "\u001b[1;1;1;1;10;10*y", "", FilteredSequenceKind.Query },
        { "colour query", "\u001b]11;?\u0007", "", FilteredSequenceKind.ColourOrFont },
        { "colour table change", "\u001b]4;1;rgb:ff/00/00\u001b\\", "", FilteredSequenceKind.ColourOrFont },
        { "font change", "\u001b]50;fixed\u0007", "", FilteredSequenceKind.ColourOrFont },
        { "soft font", "\u001bP1;1;1{ @???\u001b\\", "", FilteredSequenceKind.ColourOrFont },
        { "mouse reporting", "\u001b[?1000h", "", FilteredSequenceKind.InputMode },
        { "bracketed paste", "\u001b[?2004h", "", FilteredSequenceKind.InputMode },
        { "focus reporting", "\u001b[?1004h", "", FilteredSequenceKind.InputMode },
        { "keypad application mode", "\u001b=", "", FilteredSequenceKind.InputMode },
        { "modifyOtherKeys", "\u001b[>4;2m", "", FilteredSequenceKind.InputMode },
        { "kitty keyboard", "\u001b[>1u", "", FilteredSequenceKind.InputMode },
        { "user-defined keys", "\u001bP1;1|17/6C730A\u001b\\", "", FilteredSequenceKind.InputMode },
        { "hyperlink", "\u001b]8;;https://evil.example/\u0007", "", FilteredSequenceKind.Other },
        { "notification", "\u001b]9;done\u0007", "", FilteredSequenceKind.Other },
        { "iTerm2 file transfer", "\u001b]1337;File=name=eA==:aGk=\u0007", "", FilteredSequenceKind.Other },
        { "kitty graphics", "\u001b_Ga=q,i=1;AAAA\u001b\\", "", FilteredSequenceKind.Other },
        { "privacy message", "\u001b^secret\u001b\\", "", FilteredSequenceKind.Other },
        { "window resize", "\u001b[8;50;100t", "", FilteredSequenceKind.Other },
        { "window iconify", "\u001b[2t", "", FilteredSequenceKind.Other },
        { "printer", "\u001b[5i", "", FilteredSequenceKind.Other },
        { "keyboard LEDs", "\u001b[1q", "", FilteredSequenceKind.Other },
        { "8-bit controls for answers", "\u001b G", "", FilteredSequenceKind.Other },
        { "coding system switch", "\u001b%@", "", FilteredSequenceKind.Other },
    };

    [Theory]
    [MemberData(nameof(Drawing))]
    public void Sequences_that_only_draw_pass_unchanged(string name, string text)
    {
        var (output, filter) = Run(text);

        output.Should().Be(text, name);
        filter.Filtered.Total.Should().Be(0, name);
    }

    [Theory]
    [MemberData(nameof(Dropped))]
    public void Sequences_that_act_outside_the_screen_are_dropped_and_counted(string name, string text, string expected, FilteredSequenceKind kind)
    {
        var (output, filter) = Run(text);

        output.Should().Be(expected, name);
        filter.Filtered[kind].Should().BeGreaterThan(0, name);
    }

    [Fact]
    public void Only_the_drawing_modes_of_a_mixed_mode_sequence_pass()
    {
        var (output, filter) = Run("\u001b[?1049;1000;25h\u001b[4;2l");

        output.Should().Be("\u001b[?1049;25h\u001b[4l");
        filter.Filtered[FilteredSequenceKind.InputMode].Should().Be(1);
        filter.Filtered[FilteredSequenceKind.Other].Should().Be(1, "mode 2 locks the keyboard");
    }

    [Theory]
    [InlineData(new byte[] { 0xC2, 0x9B, (byte)'3', (byte)'1', (byte)'m' }, "\u001b[31m")]
    [InlineData(new byte[] { 0xC2, 0x9D, (byte)'0', (byte)';', (byte)'t', 0xC2, 0x9C, (byte)'k' }, "k")]
    [InlineData(new byte[] { 0xC2, 0x9D, (byte)'5', (byte)'2', (byte)';', (byte)'c', (byte)';', (byte)'x', 0x07, (byte)'k' }, "k")]
    [InlineData(new byte[] { 0xC2, 0x9B, (byte)'6', (byte)'n' }, "")]
    [InlineData(new byte[] { 0xC2, 0x9A }, "")]
    [InlineData(new byte[] { 0xC2, 0x85 }, "\u001bE")]
    [InlineData(new byte[] { 0xC2, 0x90, (byte)'$', (byte)'q', (byte)'m', 0xC2, 0x9C }, "")]
    public void UTF_8_encoded_C1_controls_act_as_their_escape_forms_and_pass_only_in_7_bit_form(byte[] input, string expected)
    {
        Run(input).Output.Should().Be(expected);
    }

    [Theory]
    [InlineData(new byte[] { 0x9B, (byte)'3', (byte)'1', (byte)'m' }, "\uFFFD31m")]
    [InlineData(new byte[] { 0x9D, (byte)'5', (byte)'2', (byte)';', 0x9C }, "\uFFFD52;\uFFFD")]
    [InlineData(new byte[] { 0x9A }, "\uFFFD")]
    public void Lone_8_bit_C1_bytes_act_on_nothing_as_in_a_UTF_8_terminal(byte[] input, string expected)
    {
        Run(input).Output.Should().Be(expected);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', 0xFF, (byte)'b', 0xC0, 0xAF, (byte)'c' }, "a\uFFFDb\uFFFD\uFFFDc")]
    [InlineData(new byte[] { 0xE6, 0x97, (byte)'a' }, "\uFFFDa")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "\uFFFD\uFFFD\uFFFD")]
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 }, "\uFFFD\uFFFD\uFFFD\uFFFD")]
    [InlineData(new byte[] { 0xC1, 0x9B }, "\uFFFD\uFFFD")]
    public void Bytes_that_are_not_UTF_8_become_replacement_characters(byte[] input, string expected)
    {
        var (output, _) = Run(input);

        output.Should().Be(expected);
    }

    [Fact]
    public void Huge_counts_are_capped_so_the_terminal_does_not_stall()
    {
        Run("x\u001b[999999999b\u001b[0000012A").Output.Should().Be("x\u001b[65535b\u001b[0000012A");
    }

    [Fact]
    public void A_sequence_longer_than_the_budget_is_dropped_whole_and_the_state_stays_small()
    {
        var text = "\u001b[" + new string('1', 10_000_000) + "mafter";

        var (output, filter) = Run(text);

        output.Should().Be("after");
        filter.Filtered[FilteredSequenceKind.Other].Should().Be(1);
    }

    [Theory]
    [InlineData("\u001b[31\u001b[32mX", "\u001b[32mX")]
    [InlineData("\u001b[31\u0018X", "X")]
    [InlineData("\u001b[3\n1m", "\n\u001b[31m")]
    [InlineData("\u001b]52;c;aGk=\u001b[1mB", "\u001b[1mB")]
    [InlineData("\u001bktitle\u001b\\", "title")]
    [InlineData("\u001bPtmux;\u001b\u001b]52;c;aGk=\u0007\u001b\\", "")]
    [InlineData("\u001bPq#0~\u0018after", "\u001bPq#0~\u001b\\after")]
    public void Sequences_cut_off_by_others_end_as_a_terminal_ends_them(string text, string expected)
    {
        Run(text).Output.Should().Be(expected);
    }

    [Fact]
    public void A_graphics_string_left_open_at_the_end_is_closed()
    {
        Run("\u001bPq#0~~").Output.Should().Be("\u001bPq#0~~\u001b\\");
    }

    [Fact]
    public void Passing_everything_passes_every_byte()
    {
        var bytes = Encoding.UTF8.GetBytes("\u001b]52;c;aGk=\u0007\u001b[c").Concat(new byte[] { 0x9B, 0xFF }).ToArray();
        var filter = new TerminalOutputFilter(passEverything: true);
        var output = new ArrayBufferWriter<byte>();

        filter.Write(bytes, output);
        filter.Complete(output);

        output.WrittenSpan.ToArray().Should().Equal(bytes);
        filter.Filtered.Total.Should().Be(0);
    }

    [Fact]
    public void The_output_is_the_same_however_the_input_is_split()
    {
        var corpus = Drawing().Select(row => (string)row[1])
            .Concat(Dropped().Select(row => (string)row[1]))
            .Concat(Recorder.Tests.Support.HostileText.Corpus.Select(c => c.Text))
            .Select(Encoding.UTF8.GetBytes)
            .Append([0x9B, (byte)'3', (byte)'m', 0xC2, 0x9D, (byte)'2', (byte)';', 0x07, 0xE6, 0x97, 0xA5, 0xFF])
            .ToList();
        foreach (var input in corpus)
        {
            var whole = Run(input).Output;
            for (var cut = 1; cut < input.Length; cut++)
            {
                Run(input[..cut], input[cut..]).Output.Should().Be(whole, $"cut at {cut} of {Convert.ToHexString(input)}");
            }

            Run(input.Select(b => new[] { b }).ToArray()).Output.Should().Be(whole, $"byte by byte: {Convert.ToHexString(input)}");
        }
    }

    [Fact]
    public void Nothing_of_the_hostile_corpus_but_drawing_reaches_the_terminal()
    {
        foreach (var (name, text) in Recorder.Tests.Support.HostileText.Corpus)
        {
            var output = Run(text).Output;
            output.Should().NotContain("\u001b]", name).And.NotContain("\u001bP", name).And.NotContain("\u001b_", name)
                .And.NotContain("\u0005", name).And.NotContain("\u001b[c", name).And.NotContain("\u001bZ", name);
            output.Should().NotContainAny(["\u0085", "\u009b", "\u009d", "\u009c", "\u009a"], name);
        }
    }

    [Fact]
    public void What_was_filtered_is_described_in_words()
    {
        var (_, filter) = Run("\u001b]52;c;x\u0007\u001b]0;a\u0007\u001b]2;b\u0007\u001b[c");

        filter.Filtered.Describe().Should().Be("1 clipboard access, 2 title changes, 1 terminal query");
        new TerminalOutputFilter().Filtered.Describe().Should().BeEmpty();
    }

    private static (string Output, TerminalOutputFilter Filter) Run(string text) => Run(Encoding.UTF8.GetBytes(text));

    private static (string Output, TerminalOutputFilter Filter) Run(params byte[][] chunks)
    {
        var filter = new TerminalOutputFilter();
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            filter.Write(chunk, output);
        }

        filter.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), filter);
    }
}
