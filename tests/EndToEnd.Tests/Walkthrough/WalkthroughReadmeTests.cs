using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests.Walkthrough;

/// <summary>
/// README.md's walk-through, run as a new user would: a fresh copy of the repository, three real
/// terminals (tmux), every command typed exactly as the README has it, in its order. The only
/// change is the port: the broker listens on a free one instead of 7443 (other test runs share
/// this machine), so <c>127.0.0.1:7443</c> is replaced in the commands, <c>serve</c> gets
/// <c>--urls</c>, and the terminals have <c>BROKER_URL</c> (agent-client's default address).
/// </summary>
public sealed class WalkthroughReadmeTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    /// <summary>What some commands must print; every other command must exit 0. Each key names exactly one README line.</summary>
    private static readonly Expectation[] Expectations =
    [
        new("echo 'hello $(world)'", 0, "hello $(world)"),
        new("ls -d / /nope", 0, "exit code: 2"),
        new("--json -- id", 0, "\"type\":\"exit\""),
        new("rm -rf /tmp/x", 0, "exit code: 75", "held for approval"),
        new("bash -c \"id\"", 126, "shells-and-interpreters"),
        new("policy check", null, "\"decision\":", "\"programs\":[\"rm\"]"),
        new("sessions list --all", 0, "alice"),
        new("sessions terminate", 0, "terminated"),
        new("replay verify", 0, "intact and sealed"),
        new("replay commands .broker-data/recordings", 0, "ls -d / /nope"),
        new("attach \"$SESSION_ID\"", 0, "[attach] session ended"),
        new("replay info", 0, "intact and sealed"),
        new("bin/aot/agent-client exec", 0, "fast"),
    ];

    [Fact]
    public async Task The_readme_walkthrough_works_as_written_in_a_fresh_copy_of_the_repository()
    {
        var lines = ReadmeWalkthrough.Read(Path.Combine(BuiltTools.RepositoryRoot, "README.md"));
        foreach (var expectation in Expectations)
        {
            lines.Count(l => l.Text.Contains(expectation.Key, StringComparison.Ordinal)).Should().Be(1, $"the expectation '{expectation.Key}' must name one README line");
        }

        using var copy = await RepositoryCopy.CreateAsync();
        var url = $"http://127.0.0.1:{BuiltTools.FreePort()}";
        var environment = new Dictionary<string, string> { ["BROKER_URL"] = url, ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
        await using var server = await WalkthroughShell.StartAsync(copy.Root, environment);
        await using var main = await WalkthroughShell.StartAsync(copy.Root, environment);
        await using var third = await WalkthroughShell.StartAsync(copy.Root, environment);
        var terminals = new Dictionary<int, WalkthroughShell> { [1] = server, [2] = main, [3] = third };
        try
        {
            foreach (var line in lines)
            {
                var text = line.Text.Replace("127.0.0.1:7443", url["http://".Length..], StringComparison.Ordinal);
                await RunLineAsync(terminals[line.Terminal], line.Terminal, text, lines, copy, url, main, third);
            }
        }
        finally
        {
            // Ctrl-C stops `dotnet run` and the broker under it, as it would for a person.
            await server.Screen.PressAsync("C-c");
        }

        Directory.Exists(Path.Combine(copy.Root, "broker", "Broker.Server", ".broker-data")).Should().BeFalse("`dotnet run` keeps the data where the command was typed");
        using var cast = JsonDocument.Parse((await File.ReadAllLinesAsync(Path.Combine(copy.Root, "session.cast")))[0]);
        cast.RootElement.GetProperty("width").GetInt32().Should().BeGreaterThan(0);
        cast.RootElement.GetProperty("height").GetInt32().Should().BeGreaterThan(0);
    }

    private static async Task RunLineAsync(WalkthroughShell shell, int terminal, string text, IReadOnlyList<WalkthroughLine> lines, RepositoryCopy copy, string url, WalkthroughShell main, WalkthroughShell third)
    {
        if (terminal == 1)
        {
            text.Should().Contain("serve --dev");
            await shell.TypeAsync($"{text} --urls {url}");
            await shell.Screen.WaitForTextAsync("broker: listening on", BuildTimeout);
            return;
        }

        if (terminal == 3 && text.StartsWith("OP=", StringComparison.Ordinal))
        {
            // "with the same three aliases": typed as the README has them in terminal 2.
            foreach (var alias in lines.Where(l => l.Text.StartsWith("alias ", StringComparison.Ordinal)))
            {
                (await third.RunAsync(alias.Text, CommandTimeout)).Status.Should().Be(0, alias.Text);
            }
        }

        if (text.Contains(" shell --target ", StringComparison.Ordinal))
        {
            await UseShellAsync(shell, text);
            return;
        }

        if (text.Contains("tail -f /dev/null", StringComparison.Ordinal))
        {
            // Runs until the operator ends it from terminal 3; the README's next step lists it as running.
            await shell.TypeAsync(text);
            await WaitForRunningSessionAsync(copy, url);
            return;
        }

        var timeout = text.StartsWith("dotnet ", StringComparison.Ordinal) ? BuildTimeout : CommandTimeout;
        var (status, output) = await shell.RunAsync(text, timeout);
        var expectation = Expectations.FirstOrDefault(e => text.Contains(e.Key, StringComparison.Ordinal));
        if (expectation is null || expectation.Status is not null)
        {
            status.Should().Be(expectation?.Status ?? 0, $"'{text}' printed:\n{output}");
        }

        foreach (var shown in expectation?.Contains ?? [])
        {
            output.Should().Contain(shown, $"'{text}' printed:\n{output}");
        }

        if (text.Contains("sessions terminate", StringComparison.Ordinal))
        {
            // The long command in terminal 2 ends with the session.
            var (ended, endedOutput) = await main.CompletionAsync(CommandTimeout);
            ended.Should().NotBe(0, endedOutput);
            endedOutput.Should().Contain("drill");
        }
    }

    /// <summary>An interactive session: one command, its output, then the way out the README names (Ctrl-D, or exit for a raw terminal).</summary>
    private static async Task UseShellAsync(WalkthroughShell shell, string text)
    {
        await shell.TypeAsync(text);
        var raw = text.Contains("shell-users", StringComparison.Ordinal);
        await shell.Screen.WaitForTextAsync(raw ? "[broker] raw terminal" : "[broker] line mode", CommandTimeout);
        if (raw)
        {
            await shell.Screen.EnterAsync("echo raw-$((6*7))");
            await shell.Screen.WaitForTextAsync("raw-42", CommandTimeout);
            await shell.Screen.EnterAsync("exit");
        }
        else
        {
            await shell.Screen.EnterAsync("echo walk''through");
            // Ctrl-D at the prompt that follows, as a person presses it (one pressed earlier ends the session too:
            // docs/targets.md, "Ctrl-D before the prompt is back").
            await shell.Screen.WaitForAsync(s => Regex.IsMatch(s, "^walkthrough\\s*\\n[^\\n]*\\$ *$", RegexOptions.Multiline), "the prompt after the command's output", CommandTimeout);
            await shell.Screen.PressAsync("C-d");
        }

        var (status, output) = await shell.CompletionAsync(CommandTimeout);
        status.Should().Be(0, output);
    }

    /// <summary>Polls the broker (as an operator, with a token of the copy's dev issuer) until alice's long command runs.</summary>
    private static async Task WaitForRunningSessionAsync(RepositoryCopy copy, string url)
    {
        var (code, token, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["token", "--data", Path.Combine(copy.Root, ".broker-data"), "--sub", "walkthrough-poller", "--group", "operators"]);
        code.Should().Be(0, stderr);
        var environment = new Dictionary<string, string> { ["BROKER_URL"] = url, ["BROKER_TOKEN"] = token.Trim() };
        var limit = Stopwatch.StartNew();
        while (true)
        {
            var (listed, stdout, listError) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["sessions", "list"], environment: environment);
            listed.Should().Be(0, listError);
            if (Regex.IsMatch(stdout, @"^\S+\s+alice\s+\S+\s+exec\s+running", RegexOptions.Multiline))
            {
                return;
            }

            if (limit.Elapsed > CommandTimeout)
            {
                throw new TimeoutException($"alice's long command never showed as running:\n{stdout}");
            }

            await Task.Delay(100);
        }
    }

    private sealed record Expectation(string Key, int? Status, params string[] Contains);
}
