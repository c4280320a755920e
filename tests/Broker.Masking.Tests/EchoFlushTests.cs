using System.Buffers;
using System.Text;
using Broker.Masking.Tests.Corpus;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// The session releases the terminal's echo of a key the client typed at once: a flush of what the masker holds right
/// after the first bytes of a secret, as if the hold delay fired there. The masker must be right for that wherever it
/// happens: a secret whose first one, two, three… bytes went out as an echo is still masked when the rest arrives, at
/// once or a byte per hold delay, for every detector, on the text path and the screen model, at the start of a line
/// and after the line was erased (the echo bench's Ctrl-U: readline's backspaces and erase-to-end-of-line).
/// </summary>
public class EchoFlushTests
{
    private static readonly byte[] Erase = Encoding.ASCII.GetBytes("$ abcdefghij" + new string('\b', 10) + "\u001b[K");

    public static TheoryData<string, bool, bool> Samples()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var sample in SecretCorpus.Samples)
        {
            foreach (var screen in new[] { false, true })
            {
                foreach (var slow in new[] { false, true })
                {
                    data.Add(sample.Label, screen, slow);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_secret_whose_first_bytes_went_out_as_an_echo_is_still_masked(string label, bool screen, bool slow)
    {
        var sample = SecretCorpus.Samples.Single(s => s.Label == label);
        foreach (var secret in sample.Secrets)
        {
            var at = sample.Text.IndexOf(secret, StringComparison.Ordinal);
            for (var echo = 1; echo <= 3; echo++)
            {
                foreach (var erased in new[] { false, true })
                {
                    var output = EchoThenRest(sample.Text[..at], sample.Text[at..], echo, screen, slow, erased);

                    if (slow)
                    {
                        // The same program printing the whole secret a byte per hold delay, no key typed.
                        var stalled = EchoThenRest(sample.Text[..at], sample.Text[at..], echo: 0, screen, slow, erased);
                        Leaked(output, sample.Secrets).Should().BeSubsetOf(Leaked(stalled, sample.Secrets), $"echo of {echo}, {(erased ? "erased line" : "fresh line")}");
                    }
                    else
                    {
                        output.ShouldNotLeak(sample.Secrets);
                    }
                }
            }
        }
    }

    [Fact]
    public void A_token_typed_at_an_erased_line_shows_nothing_more_for_the_echo_flush_for_every_format_masked_whole()
    {
        var checkedFormats = 0;
        foreach (var format in TokenFormatCorpus.All)
        {
            if (!Masks(format.Line, format.Secret))
            {
                // Not detected at all (the corpus measures recall): nothing for an early flush to lose.
                continue;
            }

            checkedFormats++;
            var at = format.Line.IndexOf(format.Secret, StringComparison.Ordinal);
            var line = format.Line[at..] + "\n";
            for (var echo = 1; echo <= 3; echo++)
            {
                foreach (var screen in new[] { false, true })
                {
                    // The echoed bytes (at most three) may show; no four bytes of the token may.
                    var split = EchoThenRest(format.Line[..at], line, echo, screen, slow: false, erased: true, flushEcho: false);
                    var output = EchoThenRest(format.Line[..at], line, echo, screen, slow: false, erased: true);
                    Leaked(output, TokenFormatSplitTests.Confidential(format)).Should().BeEmpty($"{format.Format}, echo of {echo}, screen {screen}");

                    var slowly = EchoThenRest(format.Line[..at], line, echo, screen, slow: true, erased: true);
                    var stalled = EchoThenRest(format.Line[..at], line, echo: 0, screen, slow: true, erased: true);
                    Leaked(slowly, format.Secret).Should().BeSubsetOf(Leaked(stalled, format.Secret).Union(Leaked(split, format.Secret)), format.Format);
                }
            }
        }

        checkedFormats.Should().BeGreaterThan(50);
    }

    [Fact]
    public void An_attacker_who_types_g_and_prints_the_rest_a_byte_per_hold_delay_shows_no_four_bytes_of_the_token()
    {
        // The agent typed `g` (echoed and released at once); the program then prints `hp_<token>` as slowly as it likes.
        var output = EchoThenRest("$ ", SecretCorpus.GitHubClassic + "\r\n", echo: 1, screen: true, slow: true, erased: true);

        output.ShouldNotLeak(SecretCorpus.GitHubClassic);
        output.Output.Should().Contain("[MASKED:github-token]");
    }

    /// <summary>The runs of four bytes of <paramref name="secrets"/> that <paramref name="run"/> shows, markers aside.</summary>
    private static HashSet<string> Leaked(MaskRun run, params string[] secrets)
    {
        var shown = System.Text.RegularExpressions.Regex.Replace(run.Output, @"\[MASKED:[A-Za-z0-9._-]+\]", "#");
        return [.. secrets.SelectMany(Mask.Grams).Select(g => Encoding.UTF8.GetString(g)).Where(g => shown.Contains(g, StringComparison.Ordinal))];
    }

    private static bool Masks(string line, string secret)
    {
        var run = Mask.Run(line + "\n");
        return !Mask.Grams(secret).Any(gram => Encoding.UTF8.GetBytes(run.Output).AsSpan().IndexOf(gram) >= 0);
    }

    /// <summary>
    /// <paramref name="before"/> as the program's output (the hold delay fires after it if anything is held, as the
    /// echo is released only when nothing was held before it), then the first <paramref name="echo"/> bytes of
    /// <paramref name="rest"/> as a key's echo flushed at once (none: 0), then the rest: whole, or a byte per hold delay.
    /// </summary>
    private static MaskRun EchoThenRest(string before, string rest, int echo, bool screen, bool slow, bool erased, bool flushEcho = true)
    {
        var options = screen ? MaskerOptions.Default with { Columns = 80, Rows = 24 } : MaskerOptions.TextOnly;
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry(), options);
        var chunks = new List<byte[]>();
        var all = new ArrayBufferWriter<byte>();

        if (erased)
        {
            Step(w => masker.Push(Erase, w));
        }

        Step(w => masker.Push(Encoding.UTF8.GetBytes(before), w));
        if (masker.HasHeldBytes)
        {
            Step(masker.FlushHeld);
        }

        var bytes = Encoding.UTF8.GetBytes(rest);
        if (echo > 0)
        {
            Step(w => masker.Push(bytes.AsSpan(0, echo), w));
            if (flushEcho)
            {
                Step(masker.FlushHeld);
            }
        }

        if (slow)
        {
            for (var i = echo; i < bytes.Length; i++)
            {
                var at = i;
                Step(w => masker.Push(bytes.AsSpan(at, 1), w));
                Step(masker.FlushHeld);
            }
        }
        else
        {
            Step(w => masker.Push(bytes.AsSpan(echo), w));
        }

        Step(masker.Complete);
        return new MaskRun(Encoding.UTF8.GetString(all.WrittenSpan), chunks, masker.Counts);

        void Step(Action<IBufferWriter<byte>> action)
        {
            var writer = new ArrayBufferWriter<byte>();
            action(writer);
            chunks.Add(writer.WrittenSpan.ToArray());
            all.Write(writer.WrittenSpan);
        }
    }
}
