namespace EndToEnd.Tests;

/// <summary>Observers watch a session with `agent-client attach`, and auditors read it by session id with `replay`.</summary>
public sealed class RecordingAccessTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public RecordingAccessTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task Attach_from_the_start_follows_a_running_session_to_its_end()
    {
        var agent = await _broker.TokenAsync("watched-e2e", "shell-users");
        var observer = await _broker.TokenAsync("observer-e2e", "observers");
        using var scratch = new Broker.TestSupport.SessionScratch("attach-e2e-");
        var release = scratch.File("release");
        // The shell holds its second half until the observer is attached, so attach follows a session still running;
        // its time limit covers the steps below, which it waits for.
        var shell = _broker.ClientAsync(
            agent,
            $"echo before-$((6*7)); until [ -e {release} ]; do sleep 0.05; done; echo after-$((7*7))\nexit 4\n",
            ["shell", "--target", "local"],
            timeoutSeconds: 300);
        var sessionId = await RunningSessionOfAsync("watched-e2e");

        // --pass-escapes: the byte-for-byte comparison below includes the shell's mode changes (bracketed paste),
        // which attach otherwise keeps from the observer's terminal.
        var attach = _broker.ClientAsync(observer, null, ["attach", sessionId, "--from-start", "--pass-escapes"], timeoutSeconds: 300);
        await _broker.WaitForLogAsync($"attached to session {sessionId}");
        await File.WriteAllTextAsync(release, string.Empty);
        var (code, stdout, stderr) = await attach.WaitAsync(TimeSpan.FromSeconds(360));
        var (shellCode, shellOut, _) = await shell.WaitAsync(TimeSpan.FromSeconds(360));

        shellCode.Should().Be(4);
        code.Should().Be(0, stderr);
        stdout.Should().Contain("before-42", stderr).And.Contain("after-49", stderr);
        stdout.Should().Be(shellOut, stderr);
        stderr.Should().Contain("session ended: exit 4");
    }

    [Fact]
    public async Task Attach_without_an_observer_group_exits_with_the_permission_code()
    {
        var agent = await _broker.TokenAsync("unwatched-e2e");
        var (_, _, _) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--", "echo", "x");
        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "attach", "s-0000000000000000000000000000000");
        code.Should().Be(4, stderr);
        stderr.Should().Contain("permission denied");
    }

    [Fact]
    public async Task Replay_info_reads_a_session_by_id_from_the_broker_and_from_the_data_directory()
    {
        var agent = await _broker.TokenAsync("replayed-e2e");
        var observer = await _broker.TokenAsync("auditor-e2e", "observers");
        var (execCode, _, execErr) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--", "echo", "replayed");
        execCode.Should().Be(0, execErr);
        var sessionId = await SessionOfAsync("replayed-e2e", running: false);

        var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["info", sessionId, "--broker", _broker.Url, "--token", observer]);
        code.Should().Be(0, stderr);
        stdout.Should().Contain(sessionId).And.Contain("replayed-e2e").And.Contain("intact and sealed");

        (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["info", sessionId, "--data", _broker.DataDirectory]);
        code.Should().Be(0, stderr);
        stdout.Should().Contain(sessionId).And.Contain("intact and sealed");

        (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", sessionId, "--broker", _broker.Url, "--token", observer]);
        code.Should().Be(0, stderr);

        (code, stdout, _) = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "text", sessionId, "--broker", _broker.Url, "--token", observer]);
        code.Should().Be(0);
        stdout.Should().Contain("replayed");

        (code, stdout, stderr) = await _broker.ClientAsync(observer, null, "recordings", "list", "--subject", "replayed-e2e");
        code.Should().Be(0, stderr);
        stdout.Split('\n').Should().Contain(l => l.StartsWith(sessionId, StringComparison.Ordinal) && l.Contains("ended", StringComparison.Ordinal));

        (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["info", sessionId, "--broker", _broker.Url, "--token", agent]);
        code.Should().NotBe(0);
        stderr.Should().Contain("permission denied");
    }

    private Task<string> RunningSessionOfAsync(string subject) => SessionOfAsync(subject, running: true);

    /// <summary>Polls the operator's session list for the subject's session.</summary>
    private async Task<string> SessionOfAsync(string subject, bool running)
    {
        var operatorToken = await _broker.TokenAsync("operator-e2e", "operators");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var (code, stdout, stderr) = await _broker.ClientAsync(operatorToken, null, "sessions", "list", "--all");
            code.Should().Be(0, stderr);
            var line = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .FirstOrDefault(f => f.Length > 4 && f[1] == subject && (!running || f[4] == "running"));
            if (line is not null)
            {
                return line[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no {(running ? "running " : string.Empty)}session of {subject}");
    }
}
