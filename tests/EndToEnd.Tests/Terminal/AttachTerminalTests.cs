using System.Diagnostics;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests.Terminal;

/// <summary><c>agent-client attach</c> at a real terminal: an observer's keys go nowhere, and none is left for the local shell.</summary>
public sealed class AttachTerminalTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public AttachTerminalTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task Keys_typed_while_attached_are_dropped_and_never_run_by_the_local_shell()
    {
        var subject = "watched-" + Guid.NewGuid().ToString("n")[..8];
        var agentToken = await _broker.TokenAsync(subject);
        using var watched = StartLongExec(agentToken);
        try
        {
            await WatchAsync(subject, agentToken);
        }
        finally
        {
            if (!watched.HasExited)
            {
                watched.Kill();
            }
        }
    }

    private async Task WatchAsync(string subject, string agentToken)
    {
        var session = await RunningSessionAsync(agentToken);

        await using var terminal = await ClientTerminal.StartAsync(_broker, await _broker.TokenAsync("observer-" + subject, "observers"));
        await terminal.StartClientAsync($"agent-client attach {session}", s => s.Contains("[attach] watching session", StringComparison.Ordinal));
        await terminal.Screen.EnterAsync("echo leak''ed");
        await terminal.Screen.TypeAsync("echo still-leak''ed");

        var operatorToken = await _broker.TokenAsync("oncall-" + subject, "operators");
        var (code, _, stderr) = await _broker.ClientAsync(operatorToken, null, "sessions", "terminate", session, "--reason", "attach test");
        code.Should().Be(0, stderr);
        await terminal.Screen.WaitForTextAsync("[attach] session ended");

        (await terminal.ClientExitCodeAsync()).Should().Be(0);
        await terminal.Screen.EnterAsync("echo pro''be");
        var history = await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "probe") > 0, "the local shell's output");
        history.Should().NotContain("leaked").And.NotContain("leak''ed", "typed keys are neither echoed nor run");
        (await terminal.SettingsRestoredAsync()).Should().BeTrue();
    }

    private Process StartLongExec(string token)
    {
        var info = new ProcessStartInfo(BuiltTools.AgentClient)
        {
            ArgumentList = { "exec", "--target", "local", "--", "tail", "-f", "/dev/null" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["BROKER_URL"] = _broker.Url;
        info.Environment["BROKER_TOKEN"] = token;
        return Process.Start(info)!;
    }

    private async Task<string> RunningSessionAsync(string token)
    {
        var running = new Regex(@"^(\S+)\s.*\brunning\b", RegexOptions.Multiline);
        var limit = Stopwatch.StartNew();
        while (true)
        {
            var (code, stdout, stderr) = await _broker.ClientAsync(token, null, "sessions", "list");
            code.Should().Be(0, stderr);
            if (running.Match(stdout) is { Success: true } match)
            {
                return match.Groups[1].Value;
            }

            if (limit.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"the exec session never showed as running:\n{stdout}");
            }

            await Task.Delay(100);
        }
    }
}
