using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.TestSupport.Terminal;
using Recorder;

namespace Broker.Integration.Tests.Masking;

/// <summary>The broker with a line-mode role and a raw-terminal role (group "raw") that may run anything.</summary>
public sealed class MaskingBrokerFixture : BrokerFixture
{
    public MaskingBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Masking", "masking-policy.yaml"));
    }

    /// <summary>Opens a terminal in line mode or (<paramref name="raw"/>) raw mode, once the shell's first prompt is shown.</summary>
    public async Task<TerminalClient> OpenTerminalAsync(bool raw, uint columns = 80)
    {
        var token = raw ? Token($"raw-{Guid.NewGuid():n}", "raw") : Token($"line-{Guid.NewGuid():n}");
        var terminal = await TerminalClient.OpenAsync(Client(token), columns);
        await terminal.WaitForOutputAsync("$ ");
        return terminal;
    }
}

/// <summary>
/// The attacks of the masking issue through a real broker, a real PTY and bash: a secret split across stdout and
/// stderr, a token assembled on the screen, and a token typed at the prompt. Each
/// is checked where it would leak: what the agent received, what an observer received, the recording read back,
/// and the asciicast export.
/// </summary>
public sealed class SessionMaskingTests : IClassFixture<MaskingBrokerFixture>
{
    private readonly MaskingBrokerFixture _broker;

    public SessionMaskingTests(MaskingBrokerFixture broker) => _broker = broker;

    // The random part is letters only: four digits of a token could otherwise turn up in a recorded time or size.
    private static string NewToken() => "ghp_" + string.Concat(Guid.NewGuid().ToByteArray().Take(10).Select(b => $"{(char)('a' + (b >> 4))}{(char)('a' + (b & 15))}")) + "Xq7Zk2Lm9QwZ4vNb";

    [Fact]
    public async Task Exec_token_split_across_stdout_and_stderr_is_masked_everywhere()
    {
        var token = NewToken();
        // The stderr half is written only once the agent has received the stdout half (the script reads a line the
        // test sends then), so the agent's terminal would show the two halves joined. The pieces travel as octal
        // escapes: the command line (recorded, shown to observers) must not carry the token's own text. The last line
        // goes to stderr too: on stdout it could reach the broker before the stderr half (two pipes, read apart), and
        // the two halves would no longer be joined, on the agent's screen or anywhere.
        var script = $"printf '{Octal(token[..2])}'; read -r _; printf '{Octal(token[2..])}\\n' >&2; echo done-$((6*7)) >&2";

        var result = await ExecResult.RunAsync(
            _broker.Client(_broker.Token("split-streams")), new Broker.Protocol.V1.ExecStart { Target = "local", Script = script }, stdin: null, answer: (token[..2], "go\n"u8.ToArray()));

        result.Exit!.Code.Should().Be(0);
        var seen = result.Stdout.Concat(result.Stderr).ToArray();
        SessionTraces.ShouldNotContain(seen, [token[1..]], "what the agent received");
        result.StderrText.Should().Contain("[MASKED:github-token]").And.Contain("done-42");
        var traces = await SessionTraces.CollectAsync(_broker, result.SessionId);
        traces.ShouldNotLeak(token[1..]);
        traces.Events.OfType<MaskingCountsEvent>().Should().ContainSingle().Which.Counts.Should().ContainKey("github-token");
    }

    [Fact]
    public async Task Exec_jwt_glued_to_a_name_and_split_across_stdout_and_stderr_is_masked_everywhere()
    {
        // `export MY_e` on stdout, released (a glued head is held only once it is whole), and the JWT's rest on stderr once
        // the agent has it: the agent's terminal reads `MY_eyJ…`, a JWT glued to a name, so the rest is masked.
        var jwt = "eyJhbGciOiJIUzI1NiJ9." + Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_') +
            ".Zq4Xn8Lw2Rv7Tb5Ym1Kc9Hs3Jd6Fg0Pa3Qe";
        var script = $"printf 'export MY_{Octal(jwt[..1])}'; read -r _; printf '{Octal(jwt[1..])}\\n' >&2; echo done-$((6*7)) >&2";

        var result = await ExecResult.RunAsync(
            _broker.Client(_broker.Token("glued-jwt-streams")), new Broker.Protocol.V1.ExecStart { Target = "local", Script = script }, stdin: null, answer: ("MY_e", "go\n"u8.ToArray()));

        result.Exit!.Code.Should().Be(0);
        var seen = result.Stdout.Concat(result.Stderr).ToArray();
        SessionTraces.ShouldNotContain(seen, [jwt[1..]], "what the agent received");
        result.StderrText.Should().Contain("[MASKED:jwt]").And.Contain("done-42");
        var traces = await SessionTraces.CollectAsync(_broker, result.SessionId);
        traces.ShouldNotLeak(jwt[1..]);
        traces.Events.OfType<MaskingCountsEvent>().Should().ContainSingle().Which.Counts.Should().ContainKey("jwt");
    }

    [Fact]
    public async Task Exec_cat_of_every_format_the_issue_found_shows_only_masks_everywhere()
    {
        var (file, secrets) = await FormatSecretFile.WriteAsync();
        try
        {
            var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token("formats-exec")), "cat", file);

            result.Exit!.Code.Should().Be(0);
            SessionTraces.ShouldNotContain(result.Stdout, secrets, "the exec stdout");
            FormatSecretFile.ShouldNameEveryMask(result.StdoutText);
            result.StdoutText.Should().Contain("end of formats");
            var traces = await SessionTraces.CollectAsync(_broker, result.SessionId);
            traces.ShouldNotLeak([.. secrets]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Raw_terminal_cat_of_every_format_shows_only_masks_everywhere()
    {
        var (file, secrets) = await FormatSecretFile.WriteAsync();
        try
        {
            string sessionId;
            byte[] received;
            await using (var terminal = await _broker.OpenTerminalAsync(raw: true))
            {
                sessionId = terminal.Opened!.SessionId;
                await terminal.SendAsync($"cat {file}; echo done-$((6*7))\r");
                await terminal.WaitForOutputAsync("done-42");
                await terminal.SendAsync("exit\r");
                await terminal.WaitForExitAsync();
                received = terminal.OutputBytes;
            }

            SessionTraces.ShouldNotContain(received, secrets, "the terminal output");
            FormatSecretFile.ShouldNameEveryMask(Encoding.UTF8.GetString(received));
            (await SessionTraces.CollectAsync(_broker, sessionId)).ShouldNotLeak([.. secrets]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Line_mode_token_typed_at_the_prompt_is_masked_in_the_echo_the_records_the_decision_and_for_observers(bool keyByKey)
    {
        var token = NewToken();
        var command = $"echo token={token} | wc -c; echo done-$((6*7))\r";
        string sessionId;
        byte[] received;
        await using (var terminal = await _broker.OpenTerminalAsync(raw: false))
        {
            sessionId = terminal.Opened!.SessionId;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var (observed, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("live-observer", "observers")), sessionId, fromStart: true, cts.Token);
            using (call)
            {
                foreach (var keys in keyByKey ? command.Select(c => c.ToString()) : [command])
                {
                    await terminal.SendAsync(keys);
                }

                await terminal.WaitForOutputAsync("done-42");
                // Typed before the prompt is back, `exit` would be input to the command, thrown away at the prompt.
                await terminal.WaitForOutputAsync("$ ", occurrences: 2);
                terminal.Decisions.Should().ContainSingle().Which.Command.Should().Contain("[MASKED:github-token]").And.NotContain(token[4..12]);
                await terminal.SendAsync("exit\r");
                await terminal.WaitForExitAsync();
                await observed.ReadToEndAsync(call, cts.Token);
            }

            received = terminal.OutputBytes;
            SessionTraces.ShouldNotContain(observed.Output, [token], "the live observer's output");
        }

        SessionTraces.ShouldNotContain(received, [token], "the agent's terminal (the broker's echo)");
        if (keyByKey)
        {
            // Each key's echo is released as the hold delay would release it (docs/masking.md, "The echo of a typed
            // key"): at most the head's first three bytes show before the token is known, as for a typist slower than
            // the hold delay, and the rest is masked.
            Encoding.UTF8.GetString(received).Should().MatchRegex(@"echo token=(g(h(p)?)?)?\[MASKED:[a-z-]+\] \| wc -c");
        }
        else
        {
            Encoding.UTF8.GetString(received).Should().Contain("echo token=[MASKED:github-token] | wc -c");
        }

        var traces = await SessionTraces.CollectAsync(_broker, sessionId);
        traces.ShouldNotLeak(token);
        traces.Events.OfType<CommandEvent>().Should().Contain(c => c.Command.Text.StartsWith("echo token=[MASKED:github-token]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Token_assembled_on_the_screen_by_cursor_movement_is_not_on_anyone_s_screen(bool raw)
    {
        var token = NewToken();
        // The two pieces travel base64-encoded in the command, so only the program's output can put them together.
        var body = Convert.ToBase64String(Encoding.ASCII.GetBytes(token[4..]));
        var prefix = Convert.ToBase64String(Encoding.ASCII.GetBytes(token[..4]));
        string sessionId;
        byte[] received;
        await using (var terminal = await _broker.OpenTerminalAsync(raw))
        {
            sessionId = terminal.Opened!.SessionId;
            await terminal.SendAsync($"printf '\\033[5G%s\\r%s\\n' \"$(echo {body} | base64 -d)\" \"$(echo {prefix} | base64 -d)\"; echo done-$((6*7))\r");
            await terminal.WaitForOutputAsync("done-42");
            await terminal.SendAsync("exit\r");
            await terminal.WaitForExitAsync();
            received = terminal.OutputBytes;
        }

        var traces = await SessionTraces.CollectAsync(_broker, sessionId);
        var screens = await XtermScreen.RenderAsync([(80, 24, received), (80, 24, traces.Observed.Output), (80, 24, traces.RecordedOutput)]);
        string[] who = ["the agent", "the observer", "the recording"];
        for (var i = 0; i < screens.Count; i++)
        {
            screens[i].Shows(token).Should().BeFalse($"{who[i]}'s screen must not show the token:\n{screens[i].Text}");
            screens[i].Text.Should().Contain("done-42", "the rest of the session is rendered");
        }

        Encoding.UTF8.GetString(received).Should().Contain("[MASKED:github-token]");
    }

    private static string Octal(string text) => string.Concat(text.Select(c => "\\" + Convert.ToString((int)c, 8).PadLeft(3, '0')));
}
