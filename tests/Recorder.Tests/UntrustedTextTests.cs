using System.Text;
using Recorder.Tests.Support;

namespace Recorder.Tests;

public sealed class UntrustedTextTests
{
    public static TheoryData<string, string> Hostile()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, text) in HostileText.Corpus)
        {
            data.Add(name, text);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Hostile), DisableDiscoveryEnumeration = true)]
    public void Nothing_of_the_hostile_corpus_survives_and_what_was_there_is_visible(string name, string text)
    {
        var shown = UntrustedText.Neutralize(text);

        HostileText.FindUnsafe(shown).Should().BeNull(name);
        shown.Should().NotContain("\n", name).And.NotContain("\t");
        shown.Length.Should().BeGreaterThan(0);
        UntrustedText.Neutralize(shown).Should().Be(shown, "neutralizing is idempotent");
        UntrustedText.IsSafe(shown).Should().BeTrue();
        UntrustedText.IsSafe(text).Should().BeFalse(name);
    }

    [Theory]
    [InlineData("\u001b]52;c;aGk=\u0007", "\\e]52;c;aGk=\\a")]
    [InlineData("\r\u001b[2K#1 allow", "\\r\\e[2K#1 allow")]
    [InlineData("a\u0001b\u007fc\0", "a\\x01b\\x7fc\\0")]
    [InlineData("\b\t\n\u000b\u000c", "\\b\\t\\n\\v\\f")]
    [InlineData("\u009b2J\u0085", "\\u009b2J\\u0085")]
    [InlineData("ls \u202Etxt", "ls \\u202etxt")]
    [InlineData("r\u200bm", "r\\u200bm")]
    [InlineData("x\U000E0041", "x\\U000e0041")]
    [InlineData("l\u2028m", "l\\u2028m")]
    public void Each_unsafe_character_is_shown_as_an_escape(string text, string expected)
    {
        UntrustedText.Neutralize(text).Should().Be(expected);
    }

    [Theory]
    [InlineData("ls -la | grep 'a\\|b' > /tmp/x")]
    [InlineData("echo héllo wörld ünïcödé")]
    [InlineData("cat 日本語.txt; echo Ελληνικά עברית العربية")]
    [InlineData("echo 👍🏽 ❤️ ✔︎")]
    [InlineData("e\u0301 combining accents")]
    [InlineData("")]
    public void Ordinary_text_of_every_script_is_kept_as_it_is(string text)
    {
        UntrustedText.Neutralize(text).Should().BeSameAs(text, "safe text is returned without copying");
        UntrustedText.IsSafe(text).Should().BeTrue();
    }

    [Fact]
    public void Unpaired_surrogates_are_shown_as_escapes()
    {
        UntrustedText.Neutralize("a\ud800b\udc00").Should().Be("a\\ud800b\\udc00");
        UntrustedText.Neutralize("\ud83d\ude00").Should().Be("\ud83d\ude00", "a pair is a character");
    }

    [Fact]
    public void Null_is_the_empty_string()
    {
        UntrustedText.Neutralize(null).Should().BeEmpty();
    }

    [Fact]
    public void Tabs_can_be_kept_for_transcripts()
    {
        UntrustedText.Neutralize("a\tb\u001b", keepTabs: true).Should().Be("a\tb\\e");
        UntrustedText.IsSafe("a\tb", keepTabs: true).Should().BeTrue();
        UntrustedText.IsSafe("a\tb").Should().BeFalse();
    }

    [Fact]
    public void A_long_field_is_cut_with_the_count_of_what_was_left_out()
    {
        var text = new string('x', 5000);

        var shown = UntrustedText.Neutralize(text, maxLength: 100);

        shown.Should().Be(new string('x', 100) + "…(+4900 characters)");
    }

    [Fact]
    public void A_cut_never_splits_an_escape_or_a_surrogate_pair()
    {
        UntrustedText.Neutralize("ab\u001bcd", maxLength: 3).Should().Be("ab…(+3 characters)");
        UntrustedText.Neutralize("ab😀cd", maxLength: 3).Should().Be("ab…(+4 characters)");
        UntrustedText.Neutralize("ab😀cd", maxLength: 4).Should().Be("ab😀…(+2 characters)");
    }

    [Fact]
    public void Append_reports_how_much_it_consumed()
    {
        var builder = new StringBuilder("> ");

        var consumed = UntrustedText.Append(builder, "ok\u001b[31mred", maxLength: 6);

        builder.ToString().Should().Be("> ok\\e[3");
        consumed.Should().Be(5, "o, k, the escape, '[' and '3'");
    }

    [Fact]
    public void Every_code_point_is_either_kept_printable_or_escaped()
    {
        // Every code point of the BMP and the planes with assigned characters, one per string.
        var failures = new List<string>();
        for (var value = 0; value <= 0x10FFFF; value++)
        {
            if (value is >= 0xD800 and <= 0xDFFF || value is > 0x2FFFF and < 0xE0000)
            {
                continue;
            }

            var shown = UntrustedText.Neutralize(char.ConvertFromUtf32(value));
            if ((HostileText.IsUnsafe(new Rune(value)) && !shown.StartsWith('\\')) || HostileText.FindUnsafe(shown) is not null)
            {
                failures.Add($"U+{value:X4} shown as '{shown}'");
            }
        }

        failures.Should().BeEmpty();
    }
}
