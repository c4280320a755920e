using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

public class ChunkingPropertyTests
{
    public static TheoryData<string> Samples() => [.. SecretCorpus.Samples.Select(s => s.Label)];

    private static SecretSample Sample(string label) => SecretCorpus.Samples.Single(s => s.Label == label);

    [Theory]
    [MemberData(nameof(Samples))]
    public void Whole_output_masks_the_secret_with_its_detector(string label)
    {
        var sample = Sample(label);

        var run = Mask.Run(sample.Text);

        run.ShouldNotLeak(sample.Secrets);
        run.Output.Should().Contain($"[MASKED:{sample.Detector}]");
        run.Counts.Should().ContainKey(sample.Detector);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Output_is_the_same_one_byte_at_a_time(string label)
    {
        var sample = Sample(label);
        var input = SecretCorpus.Bytes(sample.Text);
        var whole = Mask.Run(input, Mask.Whole(input));

        var run = Mask.Run(input, Mask.OneByOne(input));

        run.Output.Should().Be(whole.Output);
        run.ShouldNotLeak(sample.Secrets);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Output_is_the_same_split_at_every_offset(string label)
    {
        var sample = Sample(label);
        var input = SecretCorpus.Bytes(sample.Text);
        var whole = Mask.Run(input, Mask.Whole(input));

        for (var at = 1; at < input.Length; at++)
        {
            var run = Mask.Run(input, Mask.SplitAt(input, at));

            run.Output.Should().Be(whole.Output, $"split at {at}");
            run.ShouldNotLeak(sample.Secrets);
        }
    }

    [Fact]
    public void Whole_corpus_is_the_same_for_random_chunkings_across_many_seeds()
    {
        var text = string.Concat(SecretCorpus.Samples.Select(s => "plain line of ordinary output\n" + s.Text));
        var secrets = SecretCorpus.Samples.SelectMany(s => s.Secrets).ToArray();
        var input = SecretCorpus.Bytes(text);
        var whole = Mask.Run(input, Mask.Whole(input));
        whole.ShouldNotLeak(secrets);

        for (var seed = 0; seed < 200; seed++)
        {
            var run = Mask.Run(input, Mask.Random(input, seed, maxChunk: seed % 2 == 0 ? 16 : 300));

            run.Output.Should().Be(whole.Output, $"seed {seed}");
            run.ShouldNotLeak(secrets);
        }
    }
}
