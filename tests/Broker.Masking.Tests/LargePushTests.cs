using System.Buffers;
using System.Text;
using Broker.Masking.Emission;
using Broker.Masking.Tests.Support;

namespace Broker.Masking.Tests;

/// <summary>
/// Many masked regions in one push, and long runs of output that never move the cursor: the pending ranges are
/// kept in order and written out in one pass, and nothing the masker keeps grows with the length of the output.
/// </summary>
public class LargePushTests
{
    [Fact]
    public void Plan_kept_in_order_and_merged_whatever_order_ranges_arrive_in()
    {
        var plan = new MaskPlan();
        plan.Add(100, 110, "late", silent: false);
        plan.Add(10, 20, "early", silent: false);
        plan.Add(50, 60, "middle", silent: false);
        // Touches the first and overlaps the second: one region from 15 to 60, named after the longest part.
        plan.Add(15, 55, "bridge", silent: false);
        plan.Add(60, 60, "empty", silent: false);

        Enumerable.Range(0, plan.Count).Select(i => (plan[i].Start, plan[i].End, plan[i].Name)).Should().Equal(
            (10L, 60L, "bridge"), (100L, 110L, "late"));
        plan.FirstEndingAfter(0).Should().Be(0);
        plan.FirstEndingAfter(59).Should().Be(0);
        plan.FirstEndingAfter(60).Should().Be(1);
        plan.FirstEndingAfter(110).Should().Be(2);

        plan.DropBefore(60);
        plan.Count.Should().Be(1);
        plan[0].Name.Should().Be("late");
    }

    [Fact]
    public void Thousands_of_secrets_in_one_push_are_each_masked_as_when_pushed_line_by_line()
    {
        var lines = new StringBuilder();
        for (var i = 0; i < 3000; i++)
        {
            lines.Append(i % 2 == 0 ? $"remote: using token {SecretCorpus.GitHubClassic} for push {i}\n" : $"db_password: {SecretCorpus.KeywordPassword} ({i})\n");
        }

        var input = SecretCorpus.Bytes(lines.ToString());
        var whole = Mask.Run(input, Mask.Whole(input));
        var byLine = Mask.Run(input, [.. lines.ToString().Split('\n')[..^1].Select(l => Encoding.UTF8.GetByteCount(l) + 1)]);

        whole.Output.Should().Be(byLine.Output);
        whole.Counts["github-token"].Should().Be(1500);
        whole.Counts["keyword-secret"].Should().Be(1500);
        whole.ShouldNotLeak(SecretCorpus.GitHubClassic, SecretCorpus.KeywordPassword);
    }

    [Fact]
    public void Coloured_output_without_cursor_movement_allocates_nothing_per_push_once_warm()
    {
        // Every line is coloured and ends in CR LF, as a terminal's `cat` of a log: each SGR and CR is an edit of the
        // row the screen model notes; released ones must be dropped, not kept for the whole session.
        var line = SecretCorpus.Bytes("\u001b[32m[08:00:01]\u001b[0m INFO  request handled in 12 ms (status \u001b[1m200\u001b[0m)\r\n");
        var chunk = new byte[16 * 1024];
        for (var at = 0; at + line.Length <= chunk.Length; at += line.Length)
        {
            line.CopyTo(chunk, at);
        }

        var masker = MaskingProfile.Default.CreateMasker(new SecretRegistry(), MaskerOptions.Default with { Columns = 120, Rows = 40 });
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        for (var i = 0; i < 64; i++)
        {
            masker.Push(chunk, output);
            output.ResetWrittenCount();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1024; i++)
        {
            masker.Push(chunk, output);
            output.ResetWrittenCount();
        }

        // 16 MiB of output, about 640,000 colour sequences: a list of them would allocate megabytes.
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(64 * 1024);
        masker.Complete(output);
        Encoding.UTF8.GetString(output.WrittenSpan).Should().NotContain("MASKED");
    }
}
