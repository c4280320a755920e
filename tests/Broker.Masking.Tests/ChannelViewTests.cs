using System.Text;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// A command's stdout (1) and stderr (2) masked as one view: a secret split across them is masked on both, a secret
/// on one interrupted by the other is masked on its own, and nothing else changes (bytes stay on their channel, in order).
/// </summary>
public class ChannelViewTests
{
    private const int Stdout = 1;
    private const int Stderr = 2;
    private static readonly string Token = SecretCorpus.GitHubClassic;

    [Fact]
    public void Token_split_across_stdout_and_stderr_is_masked_on_both()
    {
        var run = ChannelRun.Of((Stdout, "gh"), (Stderr, Token[2..] + "\n"));

        run.ShouldNotLeak(Token);
        run.Interleaved.Should().Be("[MASKED:github-token]\n");
        (run.Text(Stdout) + run.Text(Stderr)).Should().Be("[MASKED:github-token]\n");
    }

    public static TheoryData<string> Samples() => [.. SecretCorpus.Samples.Select(s => s.Label)];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Secret_split_between_the_two_streams_at_every_offset_is_masked(string label)
    {
        var sample = SecretCorpus.Samples.Single(s => s.Label == label);
        var bytes = Encoding.UTF8.GetBytes(sample.Text);
        var whole = Mask.Run(sample.Text).Output;

        for (var at = 1; at < bytes.Length; at++)
        {
            var run = ChannelRun.Of([(Stdout, bytes[..at]), (Stderr, bytes[at..])]);

            run.ShouldNotLeak(sample.Secrets);
            run.Interleaved.Should().Be(whole, $"split at {at}");
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Secret_alternating_between_the_streams_byte_by_byte_is_masked(string label)
    {
        var sample = SecretCorpus.Samples.Single(s => s.Label == label);
        var bytes = Encoding.UTF8.GetBytes(sample.Text);

        var run = ChannelRun.Of(bytes.Select((b, i) => (i % 2 == 0 ? Stdout : Stderr, new[] { b })));

        run.ShouldNotLeak(sample.Secrets);
        run.Interleaved.Should().Be(Mask.Run(sample.Text).Output);
    }

    [Fact]
    public void Token_on_stdout_interrupted_by_stderr_is_masked_on_stdout()
    {
        // Read together the token is broken by the space; read alone, stdout carries it whole.
        var run = ChannelRun.Of((Stdout, "token " + Token[..12]), (Stderr, " warning\n"), (Stdout, Token[12..] + " pushed\n"));

        run.ShouldNotLeak(Token);
        run.Text(Stdout).Should().NotContain(Token[..4]).And.Contain("[MASKED:github-token]");
        run.Text(Stderr).Should().NotBeEmpty();
    }

    [Fact]
    public void Ordinary_output_keeps_its_channels_and_its_order()
    {
        (int, string)[] pushes = [(Stdout, "building...\n"), (Stderr, "warning: unused variable\n"), (Stdout, "done in 3.2s\n"), (Stderr, "1 warning\n")];

        var run = ChannelRun.Of(pushes);

        run.Interleaved.Should().Be(string.Concat(pushes.Select(p => p.Item2)));
        run.Text(Stdout).Should().Be("building...\ndone in 3.2s\n");
        run.Text(Stderr).Should().Be("warning: unused variable\n1 warning\n");
        run.Counts.Should().BeEmpty();
    }

    [Fact]
    public void A_candidate_held_on_one_stream_holds_the_other_until_it_is_decided()
    {
        var run = ChannelRun.Of((Stdout, "export T=gh"), (Stderr, "p_"), (Stdout, Token[4..]), (Stderr, "\n"));

        run.ShouldNotLeak(Token);
        run.Interleaved.Should().Be("export T=[MASKED:github-token]\n");
    }

    [Fact]
    public void A_stream_that_ends_decides_its_own_view_while_the_other_goes_on()
    {
        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry());
        var output = ChannelRun.Create();

        masker.Push(Stdout, Encoding.UTF8.GetBytes("id gh"), output);
        masker.Push(Stderr, "progress 10%\n"u8, output);
        masker.EndChannel(Stdout, output);
        masker.Push(Stderr, "progress 100%\n"u8, output);
        masker.Complete(output);

        output.Text(Stdout).Should().Be("id gh");
        output.Text(Stderr).Should().Be("progress 10%\nprogress 100%\n");
    }

    [Fact]
    public void Registered_secret_split_across_the_streams_is_masked()
    {
        var secrets = new SecretRegistry();
        secrets.Register("db-password", "Zq7-hunter-Vw3x");

        var run = ChannelRun.Of([(Stdout, Encoding.UTF8.GetBytes("pw: Zq7-hu")), (Stderr, Encoding.UTF8.GetBytes("nter-Vw3x\n"))], secrets: secrets);

        run.ShouldNotLeak("Zq7-hunter-Vw3x");
        run.Interleaved.Should().Be("pw: [MASKED:db-password]\n");
    }
}
