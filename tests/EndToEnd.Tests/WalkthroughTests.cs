using System.Text.Json;

namespace EndToEnd.Tests;

/// <summary>The README walk-through, with the built executables as processes.</summary>
public sealed class WalkthroughTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public WalkthroughTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task Exec_of_an_argv_prints_its_output_and_exits_with_its_code()
    {
        var token = await _broker.TokenAsync("alice");
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "hello", "$(world)");
        code.Should().Be(0, stderr);
        stdout.Should().Be("hello $(world)\n");
    }

    [Fact]
    public async Task Exec_of_a_script_passes_the_remote_exit_code_and_keeps_stderr_apart()
    {
        var token = await _broker.TokenAsync("alice");
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--script", "ls -d / /no-such-dir-e2e");
        code.Should().Be(2);
        stdout.Should().Be("/\n");
        stderr.Should().Contain("no-such-dir-e2e").And.NotContain("/\n/");
    }

    [Fact]
    public async Task Exec_reads_stdin_from_the_pipe()
    {
        var token = await _broker.TokenAsync("alice");
        var (code, stdout, _) = await _broker.ClientAsync(token, "one\ntwo\nthree\n", "exec", "--target", "local", "--", "wc", "-l");
        code.Should().Be(0);
        stdout.Trim().Should().Be("3");
    }

    [Fact]
    public async Task Exec_json_prints_one_event_per_line()
    {
        var token = await _broker.TokenAsync("alice");
        var (code, stdout, _) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--json", "--", "printf", "a\\n");
        code.Should().Be(0);
        var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        events.Select(e => e.GetProperty("type").GetString()).Should().Equal("decision", "opened", "stdout", "exit");
        events[0].GetProperty("verdict").GetString().Should().Be("allow");
        events[2].GetProperty("data").GetString().Should().Be("a\n");
        events[3].GetProperty("code").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task Shell_with_piped_input_runs_the_lines_and_returns_the_shell_exit_code()
    {
        var token = await _broker.TokenAsync("alice", "shell-users");
        var (code, stdout, _) = await _broker.ClientAsync(token, "echo from-shell-$((3*3))\nexit 5\n", "shell", "--target", "local");
        code.Should().Be(5);
        stdout.Should().Contain("from-shell-9");
    }

    [Fact]
    public async Task A_command_the_policy_does_not_allow_exits_126_with_the_rule_on_stderr()
    {
        var token = await _broker.TokenAsync("alice");
        var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "bash", "-c", "touch /tmp/e2e-never");
        code.Should().Be(126);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("shells-and-interpreters");
        File.Exists("/tmp/e2e-never").Should().BeFalse();
    }

    [Fact]
    public async Task A_line_mode_agent_shell_runs_allowed_lines_and_holds_the_rest()
    {
        var token = await _broker.TokenAsync("alice-line");
        var op = await _broker.TokenAsync("op-line-e2e", "operators");
        var shell = _broker.ClientAsync(token, "echo line-mode-e2e\nrm -rf /tmp/e2e-never\nls /\n", "shell", "--target", "local");

        // The rm line is held at the prompt (the rest of the input waits behind it) until an operator denies it.
        var id = await PendingRequestAsync(op, "alice-line");
        (await _broker.ClientAsync(op, null, "approvals", "deny", id, "--reason", "not in the walk-through")).Code.Should().Be(0);
        var (code, stdout, _) = await shell.WaitAsync(TimeSpan.FromMinutes(2));

        code.Should().Be(0);
        stdout.Should().Contain("echo line-mode-e2e\r\nline-mode-e2e\r\n");
        stdout.Should().Contain($"held for approval {id}").And.Contain("not in the walk-through");
        stdout.Should().Contain("proc");
        Directory.Exists("/tmp/e2e-never").Should().BeFalse();
    }

    /// <summary>The id of <paramref name="requester"/>'s pending request, once there is one.</summary>
    private async Task<string> PendingRequestAsync(string operatorToken, string requester)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var (_, listed, _) = await _broker.ClientAsync(operatorToken, null, "approvals", "list", "--state", "pending", "--requester", requester);
            if (System.Text.RegularExpressions.Regex.Match(listed, "apr-[0-9a-f]{20}") is { Success: true } found)
            {
                return found.Value;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "the held line's request should be listed");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Sessions_list_shows_the_callers_sessions()
    {
        var token = await _broker.TokenAsync("lister");
        (await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "true")).Code.Should().Be(0);
        var (code, stdout, _) = await _broker.ClientAsync(token, null, "sessions", "list", "--all");
        code.Should().Be(0);
        stdout.Should().Contain("lister").And.Contain("exec").And.Contain("ended");
    }

    [Theory]
    [InlineData("not-a-token", 3, "not authenticated")]
    public async Task Errors_are_one_line_with_a_distinct_exit_code(string token, int expected, string message)
    {
        var (code, _, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "true");
        code.Should().Be(expected);
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain(message);
    }

    [Fact]
    public async Task An_unknown_target_is_reported_by_name()
    {
        var token = await _broker.TokenAsync("alice");
        var (code, _, stderr) = await _broker.ClientAsync(token, null, "exec", "--target", "mars", "--", "true");
        code.Should().Be(5);
        stderr.Should().Contain("'mars'");
    }

    [Fact]
    public async Task A_missing_token_is_a_usage_error()
    {
        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["exec", "--target", "local", "--broker", _broker.Url, "--", "true"]);
        code.Should().Be(2);
        stderr.Should().Contain("no token");
    }
}
