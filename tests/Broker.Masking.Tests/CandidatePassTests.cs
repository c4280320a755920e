using System.Text;
using Broker.Masking.Detection;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The one candidate pass must report every position where a needle or a registered secret's form starts (the
/// searches after it only verify what it reports): checked against a plain search at every position, over random
/// text dense in the literals' letters, the corpora, and every length around the vector widths.
/// </summary>
public class CandidatePassTests
{
    private static readonly (string Text, bool IgnoreCase)[] s_needles =
    [
        ("pass", true), ("pwd", true), ("secret", true), ("token", true), ("api_key", true), ("accountkey", true), ("authorization", true),
        ("_pat", true), ("-pat", true), ("AKIA", false), ("A3T", false), ("-----BEGIN", false), ("://", false), ("Private-Lines:", false), ("?sig=", false), ("@", false),
    ];

    private static readonly string[] s_forms = ["Hq3/UO8bdsKpLmW9", "SHEcharacters", "ghp_", "68713", "%2Fx", "\u00e9t\u00e9!"];

    [Fact]
    public void Every_literal_start_in_random_text_is_reported()
    {
        var pass = new CandidatePass(s_needles, s_forms);
        var random = new Random(14);
        const string alphabet = "pPaAsSwWdDeEcCrRtTkKoOnN_-:/?@=IG3HqU8bx%! \n\u00e9";
        for (var round = 0; round < 400; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 300);
            while (text.Length < length)
            {
                if (random.Next(8) == 0)
                {
                    var literal = random.Next(2) == 0 ? s_needles[random.Next(s_needles.Length)].Text : s_forms[random.Next(s_forms.Length)];
                    text.Append(random.Next(2) == 0 ? literal : RandomCase(literal, random));
                }
                else
                {
                    text.Append(alphabet[random.Next(alphabet.Length)]);
                }
            }

            ShouldReportEveryStart(pass, Encoding.Latin1.GetBytes(text.ToString()));
        }
    }

    [Fact]
    public void Every_literal_start_in_a_text_of_many_vector_blocks_is_reported()
    {
        // The lookups run 32 steps (2 KiB) at a time before their survivors are confirmed: no step is lost or repeated
        // between them, whatever the text's length and start.
        var pass = new CandidatePass(s_needles, s_forms);
        var random = new Random(27);
        const string alphabet = "pPaAsSwWdDeEcCrRtTkKoOnN_-:/?@=IG3HqU8bx%! \n";
        for (var round = 0; round < 12; round++)
        {
            var text = new StringBuilder();
            var length = random.Next(2000, 9000);
            while (text.Length < length)
            {
                text.Append(random.Next(6) == 0 ? s_needles[random.Next(s_needles.Length)].Text : alphabet[random.Next(alphabet.Length)].ToString());
            }

            ShouldReportEveryStart(pass, Encoding.Latin1.GetBytes(text.ToString()), random.Next(0, 200));
        }
    }

    [Fact]
    public void Every_literal_start_in_the_corpora_is_reported_at_every_offset()
    {
        var pass = new CandidatePass(s_needles, s_forms);
        var corpus = string.Concat(SecretCorpus.Samples.Select(s => s.Text + "\n")) + string.Join('\n', s_needles.Select(n => n.Text)) + string.Join(' ', s_forms);
        var bytes = Encoding.Latin1.GetBytes(corpus);
        for (var from = 0; from < Math.Min(bytes.Length, 97); from++)
        {
            ShouldReportEveryStart(pass, bytes, from);
        }
    }

    [Fact]
    public void A_literal_cut_by_the_end_is_reported_at_every_length()
    {
        var pass = new CandidatePass(s_needles, s_forms);
        foreach (var literal in s_needles.Select(n => n.Text).Concat(s_forms))
        {
            for (var padding = 0; padding < 140; padding++)
            {
                var text = Encoding.Latin1.GetBytes(new string('.', padding) + literal[..Math.Min(literal.Length, 2)]);
                var positions = new List<int>();
                pass.Find(text, 0, positions);
                positions.Should().Contain(padding, $"'{literal}' cut to its first characters at {padding} may still come whole");
            }
        }
    }

    [Fact]
    public void A_literal_cut_by_the_end_after_any_of_its_characters_is_reported()
    {
        // The exact check reads eight bytes: a literal cut inside them must still count, whatever its length there.
        var pass = new CandidatePass(s_needles, s_forms);
        foreach (var literal in s_needles.Select(n => n.Text).Concat(s_forms))
        {
            for (var length = 1; length <= literal.Length; length++)
            {
                var text = Encoding.Latin1.GetBytes("git log: " + literal[..length]);
                var positions = new List<int>();
                pass.Find(text, 0, positions);
                positions.Should().Contain(9, $"'{literal}' cut after {length} characters may still come whole");
            }
        }
    }

    [Fact]
    public void A_word_that_shares_only_its_first_six_bytes_with_a_keyword_is_not_reported()
    {
        // git log prints "Author:" on every commit; it begins like "authorization" for six bytes.
        var pass = new CandidatePass(s_needles, []);
        var positions = new List<int>();

        pass.Find(Encoding.ASCII.GetBytes("commit 0a1b\nAuthor: Dev <dev@example.org>\n Authorization: Basic\n"), 0, positions);

        positions.Should().NotContain(12).And.Contain(43);
    }

    [Fact]
    public void Text_without_literal_bytes_reports_nothing()
    {
        var pass = new CandidatePass(s_needles, []);
        var positions = new List<int>();

        pass.Find(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789 ", 40))), 0, positions);

        positions.Should().BeEmpty();
    }

    [Fact]
    public void The_last_positions_are_judged_once_each_at_every_length_and_start()
    {
        // The last step reads the text's last 66 bytes (67 with VBMI) (a shorter text is copied and padded): the positions it shares with
        // the step before are not judged twice, and none after them is skipped.
        var pass = new CandidatePass(s_needles, s_forms);
        for (var length = 1; length <= 200; length++)
        {
            for (var at = 0; at < length; at++)
            {
                var text = new byte[length];
                text.AsSpan().Fill((byte)'.');
                Encoding.Latin1.GetBytes("PwD"[..Math.Min(3, length - at)]).CopyTo(text, at);
                foreach (var from in new[] { 0, at, Math.Max(0, at - 1), Math.Max(0, at - 64), Math.Max(0, length - 70) })
                {
                    var positions = new List<int>();
                    pass.Find(text, from, positions);
                    positions.Should().Equal(at >= from ? [at] : [], $"'PwD' at {at} of {length} bytes searched from {from}");
                }
            }
        }
    }

    private static void ShouldReportEveryStart(CandidatePass pass, byte[] text, int from = 0)
    {
        var positions = new List<int>();
        pass.Find(text, from, positions);
        positions.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        positions.Should().NotContain(p => p < from);
        for (var p = from; p < text.Length; p++)
        {
            foreach (var (needle, ignoreCase) in s_needles)
            {
                if (Starts(text, p, needle, ignoreCase))
                {
                    positions.Should().Contain(p, $"'{needle}' starts at {p} in '{Encoding.Latin1.GetString(text)}'");
                }
            }

            foreach (var form in s_forms)
            {
                if (Starts(text, p, form, ignoreCase: false))
                {
                    positions.Should().Contain(p, $"the form '{form}' starts at {p}");
                }
            }
        }
    }

    private static bool Starts(byte[] text, int at, string literal, bool ignoreCase) =>
        at + literal.Length <= text.Length &&
        Encoding.Latin1.GetString(text, at, literal.Length).Equals(literal, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static string RandomCase(string literal, Random random) =>
        string.Concat(literal.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)));
}
