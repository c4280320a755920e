using System.Text;
using Recorder.Tests.Support;
using Replay.Cli;

namespace Recorder.Tests;

/// <summary>The replay commands hold nothing in proportion to a recording: their budgets and what they do at them.</summary>
public sealed class ReplayStreamingTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("replay-streaming-");
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose()
    {
        _key.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public void The_command_timeline_holds_a_bounded_number_of_commands_and_keeps_the_order_of_events()
    {
        var lines = new List<string>();
        var timeline = new CommandTimeline(lines.Add);
        var total = CommandTimeline.MaxPendingEntries * 3;
        for (var i = 1; i <= total; i++)
        {
            timeline.Add(new CommandEvent(i, i * 1_000_000L, new CommandRecord { Number = i, Text = $"cmd {i}", Decision = "allow" }));
            lines.Count.Should().Be(Math.Max(0, i - CommandTimeline.MaxPendingEntries), "past the budget the oldest command goes out");
        }

        // Exits for a command already printed, and for one still waiting.
        timeline.Add(new CommandExitEvent(total + 1, 0, 1, 7));
        timeline.Add(new CommandExitEvent(total + 2, 0, total, 0));
        timeline.Complete();

        lines.Should().HaveCount(total + 1);
        lines[0].Should().StartWith("#1    +00:00:00.001  allow   exit -    cmd 1");
        lines.Should().ContainInOrder(
            $"#{total - CommandTimeline.MaxPendingEntries,-4} {TerminalText.FormatOffset((total - CommandTimeline.MaxPendingEntries) * 1_000_000L)}  allow   exit -    cmd {total - CommandTimeline.MaxPendingEntries}",
            $"#{total,-4} {TerminalText.FormatOffset(total * 1_000_000L)}  allow   exit 0    cmd {total}",
            "      +00:00:00.000  #1 exited with 7");
    }

    [Fact]
    public void The_command_timeline_holds_a_bounded_amount_of_text()
    {
        var lines = new List<string>();
        var timeline = new CommandTimeline(lines.Add);
        var text = new string('x', 1024 * 1024);

        for (var i = 1; i <= 10; i++)
        {
            timeline.Add(new CommandEvent(i, i, new CommandRecord { Number = i, Text = text, Decision = "allow" }));
        }

        lines.Count.Should().BeGreaterThanOrEqualTo(6, "about 4 Mi characters wait at most");
    }

    [Fact]
    public void Steps_of_commands_the_recording_does_not_hold_get_lines_of_their_own_in_order()
    {
        var lines = new List<string>();
        var timeline = new CommandTimeline(lines.Add);

        timeline.Add(new ApprovalEvent(0, 1_000_000, new ApprovalRecord { Kind = ApprovalEventKind.Requested, CommandNumber = 9, ApprovalId = "ap-x" }));
        timeline.Add(new CommandEvent(1, 2_000_000, new CommandRecord { Number = 1, Text = "ls", Decision = "allow" }));
        timeline.Add(new CommandExitEvent(2, 3_000_000, 1, 0));
        timeline.Complete();

        lines.Should().Equal(
            "      +00:00:00.001  approval ap-x requested for #9",
            "#1    +00:00:00.002  allow   exit 0    ls");
    }

    [Fact]
    public void Info_keeps_a_bounded_number_of_decision_names()
    {
        var summary = new RecordingSummary();
        for (var i = 0; i < 1000; i++)
        {
            summary.Add(new CommandEvent(i, i, new CommandRecord { Number = i + 1, Text = "x", Decision = $"d{i}" + new string('y', 1000) }));
        }

        summary.Commands.Should().Be(1000);
        summary.DescribeDecisions().Should().EndWith($"(other decisions) {1000 - RecordingSummary.MaxDecisionNames}");
        summary.DescribeDecisions().Length.Should().BeLessThan(RecordingSummary.MaxDecisionNames * 80);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("500M", 500L << 20)]
    [InlineData("64g", 64L << 30)]
    [InlineData("2T", 2L << 40)]
    public void Sizes_take_a_unit(string text, long bytes)
    {
        ReadBudgetOption.TryParseSize(text, out var parsed).Should().BeTrue();
        parsed.Should().Be(bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1X")]
    [InlineData("99999999999T")]
    [InlineData("1.5G")]
    public void Other_sizes_are_refused(string text)
    {
        ReadBudgetOption.TryParseSize(text, out _).Should().BeFalse();
    }

    [Fact]
    public async Task A_recording_past_the_decompressed_budget_is_shown_up_to_it_with_a_warning()
    {
        var file = Path.Combine(_directory.FullName, "bomb.brkrec");
        await File.WriteAllBytesAsync(file, await CraftedRecordings.ZstdBombAsync(_key, segments: 4));

        var info = await RunAsync("info", file, "--max-decompressed", "20M");
        var usage = await RunAsync("info", file, "--max-decompressed", "20X");

        info.Code.Should().Be(ExitCodes.Success);
        info.Output.Should().Contain("events     17 (output 17) (reading stopped at record 17)");
        info.Error.Should().Be($"replay: warning: {file}: stopped at record 17: reading on would decompress more than the budget of 20971520 bytes (raise it with --max-decompressed)\n");
        usage.Code.Should().Be(ExitCodes.Usage);
        usage.Error.Should().StartWith("replay: --max-decompressed: '20X' is not a size");
    }

    [Fact]
    public async Task Search_finds_a_match_across_the_cut_in_a_line_longer_than_the_budget_once()
    {
        var file = Path.Combine(_directory.FullName, "long.brkrec");
        var line = new StringBuilder(new string('a', TranscriptLines.DefaultMaxLineCharacters - 5))
            .Append("NEEDLE-ACROSS").Append('b', 100_000).Append("NEEDLE-LATE").Append('c', 10).Append('\n').ToString();
        await File.WriteAllBytesAsync(file, await TestRecordings.WriteAsync(_key, (writer, _) =>
        {
            foreach (var chunk in Encoding.UTF8.GetBytes(line).Chunk(4096))
            {
                writer.AppendOutput(OutputStream.Terminal, chunk);
            }
        }));

        var search = await RunAsync("search", "NEEDLE-[A-Z]+", file, "--in", "output");

        var matches = search.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        matches.Should().HaveCount(2);
        matches.Should().OnlyContain(m => m.StartsWith("s-1 +00:00:00.000 output (long line, excerpt): …", StringComparison.Ordinal));
        matches[0].Should().Contain("aaaaNEEDLE-ACROSSbbbb");
        matches[1].Should().Contain("bbbNEEDLE-LATEcccccccccc");
        matches.Should().OnlyContain(m => m.Length < 1024, "a piece of a long line is shown as an excerpt");
    }

    [Fact]
    public async Task Search_with_a_pattern_that_needs_backtracking_skips_a_line_that_takes_too_long_and_goes_on()
    {
        var file = Path.Combine(_directory.FullName, "slow.brkrec");
        await File.WriteAllBytesAsync(file, await TestRecordings.WriteAsync(_key, (writer, _) =>
        {
            writer.AppendOutput(OutputStream.Terminal, Encoding.UTF8.GetBytes(new string('a', 30_000) + "\nfound-it\n"));
        }));

        // A lookahead needs the backtracking engine; on the long line it backtracks without end.
        var search = await RunAsync("search", "(?=(a+)+b)|found-(?=it)", file, "--in", "output");

        search.Code.Should().Be(ExitCodes.Success);
        search.Output.Should().Be("s-1 +00:00:00.000 output: found-it\n");
        search.Error.Should().Contain("the expression took too long on 1 lines, which were skipped");
    }

    [Fact]
    public async Task Search_runs_patterns_the_linear_engine_takes_in_linear_time()
    {
        var file = Path.Combine(_directory.FullName, "nested.brkrec");
        await File.WriteAllBytesAsync(file, await TestRecordings.WriteAsync(_key, (writer, _) =>
            writer.AppendOutput(OutputStream.Terminal, Encoding.UTF8.GetBytes(new string('a', 30_000) + "\n"))));

        var search = await RunAsync("search", "^(a+)+b$", file, "--in", "output");

        search.Code.Should().Be(ExitCodes.NoMatch);
        search.Error.Should().BeEmpty("no line timed out: the non-backtracking engine does not blow up on nested quantifiers");
    }

    [Theory]
    [InlineData("99999999999999")]
    [InlineData("1e400")]
    public async Task A_time_past_any_recording_is_a_usage_error(string time)
    {
        var file = Path.Combine(_directory.FullName, "short.brkrec");
        await File.WriteAllBytesAsync(file, await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession));

        var play = await RunAsync("play", file, "--from", time);

        play.Code.Should().Be(ExitCodes.Usage);
        play.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle();
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        ReplayRun.RunAsync(_ => null, new InstantTimeProvider(), args);
}
