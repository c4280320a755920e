using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;

namespace Broker.Integration.Tests.Policy;

/// <summary>
/// A line mode line is decided exactly as bash will read it: a terminal in canonical mode delivers at most 4095 bytes
/// of a line (and the newline); the broker refuses longer lines instead of deciding text bash would never see.
/// </summary>
public sealed class LineLimitTests : IClassFixture<BrokerFixture>
{
    // Sessions run as accounts of their own (never root): bash's prompt ends in "$ ".
    private const string Prompt = "$ ";

    private readonly BrokerFixture _broker;

    public LineLimitTests(BrokerFixture broker) => _broker = broker;

    [Theory]
    [InlineData("x", 4095 - 5)]
    [InlineData("é", (4095 - 5) / 2)]
    public async Task A_line_of_4095_bytes_reaches_bash_whole(string unit, int count)
    {
        await using var terminal = await OpenAtPromptAsync();
        var text = string.Concat(Enumerable.Repeat(unit, count));
        await terminal.SendAsync("echo " + text + "\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);

        terminal.Decisions.Should().ContainSingle().Which.Verdict.Should().Be(Verdict.Allow);
        // bash printed the whole word back: the echo of the typed line, then its output.
        terminal.Output.Should().Contain(text + "\r\n" + text + "\r\n");
    }

    [Theory]
    [InlineData("x", 4096 - 5)]
    [InlineData("é", ((4095 - 5) / 2) + 1)]
    public async Task A_longer_line_is_refused_and_never_reaches_bash(string unit, int count)
    {
        await using var terminal = await OpenAtPromptAsync();
        var marker = Path.Combine(Path.GetTempPath(), $"line-limit-{Guid.NewGuid():n}");
        await terminal.SendAsync("touch " + marker + " # " + string.Concat(Enumerable.Repeat(unit, count)) + "\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo still-here\r");
        await terminal.WaitForOutputAsync("still-here\r\n", occurrences: 2);

        terminal.Decisions[0].Verdict.Should().Be(Verdict.Deny);
        terminal.Decisions[0].Rule.Should().Be("(line-mode) line-limit");
        terminal.Output.Should().Contain("longer than the terminal delivers whole");
        File.Exists(marker).Should().BeFalse();
    }

    [Fact]
    public async Task Lines_of_a_multi_line_command_are_each_within_the_limit()
    {
        await using var terminal = await OpenAtPromptAsync();
        var line = new string('y', 3000);
        await terminal.SendAsync($"echo '{line}\r{line}'\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);

        terminal.Decisions.Should().ContainSingle().Which.Verdict.Should().Be(Verdict.Allow);
        terminal.Output.Should().Contain($"{line}\r\n{line}\r\n");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_line_of_a_multi_line_command_is_echoed_once(int round)
    {
        // The terminal's echo comes back on while bash still has complete lines of the command to read: a line the
        // kernel had not taken in by then would be echoed by the terminal as well as by the broker.
        await using var terminal = await OpenAtPromptAsync();
        var markers = Enumerable.Range(1, 3).Select(i => $"m{round}{i}-{Guid.NewGuid():n}").ToArray();
        var lines = markers.Select(m => m + new string('z', 2000)).ToArray();
        await terminal.SendAsync("echo '" + string.Join("\r", lines) + "'\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);

        terminal.Decisions.Should().ContainSingle().Which.Verdict.Should().Be(Verdict.Allow);
        foreach (var marker in markers)
        {
            // Once in the broker's echo of what was typed, once in what echo printed.
            CountOf(terminal.Output, marker).Should().Be(2, $"'{marker}' is echoed once and printed once");
        }
    }

    private static int CountOf(string haystack, string needle)
    {
        var count = 0;
        for (var at = haystack.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = haystack.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task<TerminalClient> OpenAtPromptAsync()
    {
        var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}")));
        await terminal.WaitForOutputAsync(Prompt);
        return terminal;
    }
}
