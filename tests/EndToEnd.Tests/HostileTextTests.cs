using System.Globalization;
using System.Text;

namespace EndToEnd.Tests;

/// <summary>
/// Text an agent or an operator chose, on its way to people through the built tools: a denied
/// command with escape sequences in its text, output that writes the clipboard and the title, and an
/// operator's terminate reason. Whatever a person's terminal receives (attach, the agent's terminal,
/// replay, the broker's log) shows it as text and acts on none of it; attach passes it all only when asked.
/// </summary>
public sealed class HostileTextTests : IClassFixture<BrokerProcess>
{
    /// <summary>A clipboard write, a title change and a line overwrite, as raw control characters.</summary>
    private const string Hostile = "\u001b]52;c;cHduZWQ=\u0007\u001b]0;owned\u0007\r\u001b[2K";

    /// <summary><see cref="Hostile"/> as it must be shown.</summary>
    private const string Shown = "\\e]52;c;cHduZWQ=\\a\\e]0;owned\\a\\r\\e[2K";

    private readonly BrokerProcess _broker;

    public HostileTextTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task A_denied_command_with_escape_sequences_is_shown_as_text_by_attach_and_replay()
    {
        var agent = await _broker.TokenAsync("hostile-command-e2e");
        var observer = await _broker.TokenAsync("hostile-observer-e2e", "observers");
        var (code, _, _) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--script", $"rm {Hostile}");
        code.Should().Be(126);
        var session = await RecordingOfAsync(observer, "hostile-command-e2e");

        var attach = await _broker.ClientAsync(observer, null, "attach", session, "--from-start");
        var commands = await BuiltTools.RunAsync(BuiltTools.Replay, ["commands", session, "--data", _broker.DataDirectory]);
        var search = await BuiltTools.RunAsync(BuiltTools.Replay, ["search", "52", session, "--data", _broker.DataDirectory]);
        var export = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", session, "--format", "text", "--data", _broker.DataDirectory]);
        var info = await BuiltTools.RunAsync(BuiltTools.Replay, ["info", session, "--data", _broker.DataDirectory]);

        attach.Code.Should().Be(0, attach.Stderr);
        attach.Stderr.Should().Contain($"[attach] command 1: rm {Shown} -> ");
        commands.Stdout.Should().Contain($"rm {Shown}");
        search.Stdout.Should().Contain($"command: #1 $ rm {Shown}");
        export.Stdout.Should().Contain($"#1 $ rm {Shown}");
        info.Stdout.Should().Contain("intact and sealed", "the agent wrote this text; the recording of it is genuine");
        foreach (var (name, text) in new[] { ("attach", attach.Stderr), ("commands", commands.Stdout), ("search", search.Stdout), ("export", export.Stdout), ("info", info.Stdout) })
        {
            Unsafe(text).Should().BeNull(name);
        }
    }

    [Fact]
    public async Task Attach_keeps_clipboard_and_title_sequences_from_the_observers_terminal_unless_asked()
    {
        var agent = await _broker.TokenAsync("hostile-output-e2e");
        var observer = await _broker.TokenAsync("output-observer-e2e", "observers");
        var (code, stdout, _) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--", "printf", "\\033]52;c;cHduZWQ=\\007\\033]2;owned\\007\\033[1mVISIBLE\\033[0m\\n");
        code.Should().Be(0);
        stdout.Should().Contain("\u001b]52;c;", "the agent's own output is its own");
        var session = await RecordingOfAsync(observer, "hostile-output-e2e");

        var filtered = await _broker.ClientAsync(observer, null, "attach", session, "--from-start");
        var passed = await _broker.ClientAsync(observer, null, "attach", session, "--from-start", "--pass-escapes");

        filtered.Code.Should().Be(0, filtered.Stderr);
        filtered.Stdout.Should().Be("\u001b[1mVISIBLE\u001b[0m\n", "what draws passes; the clipboard write and the title change do not");
        filtered.Stderr.Should().Contain("[attach] not passed to the terminal: 1 clipboard access, 1 title change (--pass-escapes passes them)");
        passed.Stdout.Should().Be("\u001b]52;c;cHduZWQ=\u0007\u001b]2;owned\u0007\u001b[1mVISIBLE\u001b[0m\n");
    }

    [Fact]
    public async Task An_operators_terminate_reason_reaches_the_agent_the_observer_and_the_log_as_text()
    {
        var agent = await _broker.TokenAsync("terminated-e2e", "shell-users");
        var operatorToken = await _broker.TokenAsync("hostile-operator-e2e", "operators");
        var observer = await _broker.TokenAsync("terminate-observer-e2e", "observers");
        var shell = _broker.ClientAsync(agent, "sleep 120\n", "shell", "--target", "local");
        var session = await RunningSessionOfAsync(operatorToken, "terminated-e2e");

        var terminate = await _broker.ClientAsync(operatorToken, null, "sessions", "terminate", session, "--reason", $"drill {Hostile}fake");
        var (_, _, agentSaw) = await shell.WaitAsync(TimeSpan.FromSeconds(90));
        var attach = await _broker.ClientAsync(observer, null, "attach", session, "--from-start");

        terminate.Code.Should().Be(0, terminate.Stderr);
        agentSaw.Should().Contain($"[broker] terminated by hostile-operator-e2e: drill {Shown}fake");
        Unsafe(agentSaw.Replace("\r\n", "\n", StringComparison.Ordinal)).Should().BeNull("the client ends its notice lines with CR LF for a raw terminal, and nothing else");
        attach.Stderr.Should().Contain($"terminated by hostile-operator-e2e: drill {Shown}fake");
        Unsafe(attach.Stderr).Should().BeNull();
        var logged = _broker.Log.Split('\n').Where(l => l.Contains("terminated by hostile-operator-e2e", StringComparison.Ordinal)).ToList();
        logged.Should().NotBeEmpty();
        logged.Should().OnlyContain(l => l.Contains($"drill {Shown}fake", StringComparison.Ordinal) && Unsafe(l) == null);
    }

    /// <summary>The first control character or invisible format character in <paramref name="text"/> other than a newline, or null.</summary>
    private static string? Unsafe(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value != '\n' && (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format || rune.Value is >= 0x80 and <= 0x9F))
            {
                return $"U+{rune.Value:X4}";
            }
        }

        return null;
    }

    /// <summary>The session id of the subject's most recent recording, from the recording index (observers may list it).</summary>
    private async Task<string> RecordingOfAsync(string observer, string subject)
    {
        var (code, stdout, stderr) = await _broker.ClientAsync(observer, null, "recordings", "list", "--subject", subject);
        code.Should().Be(0, stderr);
        return stdout.Split('\n').Skip(1).First(l => l.Length > 0).Split(' ')[0];
    }

    /// <summary>Polls the operator's session list until the subject's session runs.</summary>
    private async Task<string> RunningSessionOfAsync(string operatorToken, string subject)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var (code, stdout, stderr) = await _broker.ClientAsync(operatorToken, null, "sessions", "list");
            code.Should().Be(0, stderr);
            var fields = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .FirstOrDefault(f => f.Length > 4 && f[1] == subject && f[4] == "running");
            if (fields is not null)
            {
                return fields[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no running session of {subject}");
    }
}
