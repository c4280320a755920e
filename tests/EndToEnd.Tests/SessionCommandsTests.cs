using System.Text.Json;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests;

/// <summary>Who sees and ends which session, and what an auditor gets from an exec session's recording, through the built tools.</summary>
public sealed class SessionCommandsTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public SessionCommandsTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task An_observer_lists_the_sessions_it_may_attach_to_but_may_not_end_them()
    {
        var (subject, session) = await EndedExecSessionAsync("listed");
        var observer = await _broker.TokenAsync("observer-" + subject, "observers");

        var (code, stdout, stderr) = await _broker.ClientAsync(observer, null, "sessions", "list", "--all");
        code.Should().Be(0, stderr);
        stdout.Should().Contain(session).And.Contain(subject);

        (code, _, stderr) = await _broker.ClientAsync(observer, null, "sessions", "terminate", session);
        code.Should().Be(4, stderr);
        stderr.Trim().Should().Contain("observers may watch sessions");
    }

    [Fact]
    public async Task Terminating_ones_own_ended_session_says_it_had_ended_and_exits_11()
    {
        var (subject, session) = await EndedExecSessionAsync("ended");
        var owner = await _broker.TokenAsync(subject);

        var (code, stdout, stderr) = await _broker.ClientAsync(owner, null, "sessions", "terminate", session);

        code.Should().Be(11, stderr);
        stdout.Should().BeEmpty();
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("had already ended").And.Contain("exit code 0");
    }

    [Fact]
    public async Task The_broker_log_names_a_session_end_in_words_not_as_a_record()
    {
        var (_, session) = await EndedExecSessionAsync("logged");

        var log = await _broker.WaitForLogAsync($"Session {session} ended");
        log.Should().MatchRegex($"Session {session} ended: exit code 0, signal 0, Exited");
        log.Should().NotContain("Ended {");
    }

    [Fact]
    public async Task An_exec_sessions_asciicast_gets_a_terminal_size_a_player_can_use()
    {
        var (_, session) = await EndedExecSessionAsync("exported");

        var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "asciicast-v2", session, "--data", _broker.DataDirectory]);

        code.Should().Be(0, stderr);
        using var header = JsonDocument.Parse(stdout.Split('\n')[0]);
        header.RootElement.GetProperty("width").GetInt32().Should().Be(80);
        header.RootElement.GetProperty("height").GetInt32().Should().Be(24);
        stdout.Should().Contain("exported-output");
    }

    [Fact]
    public async Task Replay_verify_checks_every_recording_it_is_given_and_counts_in_words()
    {
        var (_, first) = await EndedExecSessionAsync("verified-one");
        var (_, second) = await EndedExecSessionAsync("verified-two");
        var files = Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), "*.brkrec", SearchOption.AllDirectories)
            .Where(f => f.Contains(first, StringComparison.Ordinal) || f.Contains(second, StringComparison.Ordinal))
            .ToList();
        files.Should().HaveCount(2);

        var (code, stdout, stderr) = await BuiltTools.RunAsync(
            BuiltTools.Replay,
            ["verify", .. files, "--public-key", Path.Combine(_broker.DataDirectory, "recording-key.pub.pem")]);

        code.Should().Be(0, stderr);
        var verdicts = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        verdicts.Should().HaveCount(2).And.OnlyContain(l => l.Contains("intact and sealed", StringComparison.Ordinal));
        stdout.Should().NotMatchRegex(@"\b1 (records|signatures)\b");

        (code, stdout, _) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", files[0], "/no/such/recording.brkrec", "--public-key", Path.Combine(_broker.DataDirectory, "recording-key.pub.pem")]);
        code.Should().Be(3, "a location that does not exist is reported, and the others are still checked");
        stdout.Should().Contain("intact and sealed");
    }

    /// <summary>Runs an exec session of a fresh subject and returns the subject and the session id.</summary>
    private async Task<(string Subject, string Session)> EndedExecSessionAsync(string prefix)
    {
        var subject = prefix + "-" + Guid.NewGuid().ToString("n")[..8];
        var token = await _broker.TokenAsync(subject);
        var (code, _, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", $"{prefix}-output");
        code.Should().Be(0, stderr);
        var (listCode, list, listError) = await _broker.ClientAsync(token, null, "sessions", "list", "--all");
        listCode.Should().Be(0, listError);
        var session = new Regex(@"^(\S+)\s+" + Regex.Escape(subject) + @"\s", RegexOptions.Multiline).Match(list);
        session.Success.Should().BeTrue(list);
        return (subject, session.Groups[1].Value);
    }
}
