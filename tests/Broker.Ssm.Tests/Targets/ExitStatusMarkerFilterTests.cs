using System.Buffers;
using System.Text;
using Broker.Ssm.Targets;

namespace Broker.Ssm.Tests.Targets;

public sealed class ExitStatusMarkerFilterTests
{
    private const string Tag = "0123456789abcdef";

    private static (string Output, int? Status) Run(params string[] chunks)
    {
        var filter = new ExitStatusMarkerFilter(Tag);
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            filter.Push(Encoding.UTF8.GetBytes(chunk), output);
        }

        filter.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), filter.ExitStatus);
    }

    [Fact]
    public void The_marker_is_taken_out_of_the_output_and_its_status_kept()
    {
        Run($"done\r\n\u001b]133;X;{Tag};3\u0007").Should().Be(("done\r\n", (int?)3));
    }

    [Fact]
    public void A_marker_cut_anywhere_between_two_chunks_is_still_found()
    {
        var whole = $"out\u001b]133;X;{Tag};127\u0007";
        for (var cut = 1; cut < whole.Length; cut++)
        {
            Run(whole[..cut], whole[cut..]).Should().Be(("out", (int?)127), $"cut at {cut}");
        }
    }

    [Fact]
    public void A_marker_with_another_tag_is_ordinary_output()
    {
        var text = "\u001b]133;X;ffffffffffffffff;0\u0007";

        Run(text).Should().Be((text, (int?)null));
    }

    [Fact]
    public void Other_escape_sequences_pass_through_untouched()
    {
        var text = "\u001b[1;31mred\u001b[0m \u001b]0;title\u0007";

        Run(text).Should().Be((text, (int?)null));
    }

    [Fact]
    public void A_fragment_left_at_the_end_of_the_stream_is_output_as_it_was()
    {
        Run("tail\u001b]133;X;01").Should().Be(("tail\u001b]133;X;01", (int?)null));
    }

    [Fact]
    public void A_status_longer_than_three_digits_is_not_a_marker()
    {
        var text = $"\u001b]133;X;{Tag};1234\u0007";

        Run(text).Should().Be((text, (int?)null));
    }
}
