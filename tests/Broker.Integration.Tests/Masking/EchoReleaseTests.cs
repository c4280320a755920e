using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Server.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Masking;

/// <summary>
/// The masking policy's broker on a clock that never moves: the masker's hold timer never fires, so output the masker
/// holds comes out only when more output decides it, or as the echo of a key the agent typed.
/// </summary>
public sealed class StoppedClockMaskingFixture : BrokerFixture
{
    public StoppedClockMaskingFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Masking", "masking-policy.yaml"));
    }

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Opens a raw terminal (a token issued on the broker's clock) once the shell's first prompt is shown.</summary>
    public async Task<TerminalClient> OpenRawTerminalAsync()
    {
        var token = Broker.Identity.Dev.DevIssuer.LoadOrCreate(DataDirectory, Clock).Mint($"raw-{Guid.NewGuid():n}", ["raw"], TimeSpan.FromHours(1));
        var terminal = await TerminalClient.OpenAsync(Client(token));
        await terminal.WaitForOutputAsync("$ ");
        return terminal;
    }

    /// <summary>Opens a line-mode terminal (the broker edits the line and echoes it) once the shell's first prompt is shown.</summary>
    public async Task<TerminalClient> OpenLineTerminalAsync()
    {
        var token = Broker.Identity.Dev.DevIssuer.LoadOrCreate(DataDirectory, Clock).Mint($"line-{Guid.NewGuid():n}", [], TimeSpan.FromHours(1));
        var terminal = await TerminalClient.OpenAsync(Client(token));
        await terminal.WaitForOutputAsync("$ ");
        return terminal;
    }

    /// <summary>Moves the broker's clock to the real time (only once no session of the test runs any more).</summary>
    public void CatchUp()
    {
        var now = DateTimeOffset.UtcNow;
        if (now > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(now);
        }
    }

    private protected override BrokerSettings Configure(BrokerSettings settings) => settings with { Time = Clock };
}

/// <summary>
/// Through a real broker, PTY and bash: the echo of a key that may start a secret (typed after the line was erased, as
/// the echo benchmark does, or at a line-mode prompt, where the broker echoes it) reaches the agent without the hold
/// delay, and a token whose first letter was such an echo
/// is still masked when the program prints the rest, for the agent, an observer and the recording.
/// </summary>
public sealed class EchoReleaseTests : IClassFixture<StoppedClockMaskingFixture>
{
    private const string ClearLine = "\u0015";

    private readonly StoppedClockMaskingFixture _broker;

    public EchoReleaseTests(StoppedClockMaskingFixture broker) => _broker = broker;

    [Fact]
    public async Task Keys_that_may_start_a_secret_typed_after_a_line_clear_echo_without_the_hold_timer()
    {
        await using var terminal = await _broker.OpenRawTerminalAsync();
        await terminal.SendAsync("abcdefghij");
        await terminal.WaitForOutputAsync("abcdefghij");

        // `g` (ghp_), `x` (xoxb-), `s` (sk-), `e` (eyJ), `A` (AKIA): each is held by the masker at the start of a word,
        // and the clock never moves, so only the echo path can release it.
        foreach (var key in "gxseA")
        {
            await terminal.SendAsync(ClearLine);
            await terminal.WaitForOutputAsync("\u001b[K", occurrences: "gxseA".IndexOf(key, StringComparison.Ordinal) + 1);
            var before = terminal.OutputBytes.Length;
            await terminal.SendAsync(key.ToString());
            await terminal.WaitUntilAsync(() => terminal.OutputBytes.AsSpan(before).Contains((byte)key), $"the echo of '{key}'", seconds: 60);
        }

        await terminal.SendAsync(ClearLine + "exit\r");
        await terminal.WaitForExitAsync();
    }

    [Fact]
    public async Task Keys_that_may_start_a_secret_typed_at_a_line_mode_prompt_echo_without_the_hold_timer()
    {
        await using var terminal = await _broker.OpenLineTerminalAsync();
        await terminal.SendAsync("echo");
        await terminal.WaitForOutputAsync("echo");

        // The broker's line editor echoes each key itself; a word-start key the masker holds comes out only as an echo.
        foreach (var key in "gxseA")
        {
            await terminal.SendAsync(" ");
            var before = terminal.OutputBytes.Length;
            await terminal.SendAsync(key.ToString());
            await terminal.WaitUntilAsync(() => terminal.OutputBytes.AsSpan(before).Contains((byte)key), $"the line editor's echo of '{key}'", seconds: 60);
        }

        await terminal.SendAsync("\r");
        await terminal.WaitForOutputAsync("g x s e A\r\n", occurrences: 2);
        await terminal.SendAsync("exit\r");
        await terminal.WaitForExitAsync();
    }

    [Fact]
    public async Task A_token_whose_first_letter_was_the_echo_of_a_typed_key_is_masked_when_the_program_prints_the_rest_later()
    {
        // The agent types `g`; the terminal echoes it (released at once); the program then prints `hp_…` a moment later.
        // The rest travels base64-encoded in the command, so only the program's output can put the token together.
        var token = "ghp_" + string.Concat(Guid.NewGuid().ToByteArray().Take(10).Select(b => $"{(char)('a' + (b >> 4))}{(char)('a' + (b & 15))}")) + "Xq7Zk2Lm9QwZ4vNb";
        var rest = Convert.ToBase64String(Encoding.ASCII.GetBytes(token[1..]));
        string sessionId;
        byte[] received;
        await using (var terminal = await _broker.OpenRawTerminalAsync())
        {
            sessionId = terminal.Opened!.SessionId;
            await terminal.SendAsync($"echo ready-$((6*7)); read -r -n 1 k; sleep 0.2; echo {rest} | base64 -d; echo; echo done-$((6*7))\r");
            await terminal.WaitForOutputAsync("ready-42");
            await terminal.SendAsync("g");
            await terminal.WaitForOutputAsync("done-42");
            await terminal.SendAsync("exit\r");
            await terminal.WaitForExitAsync();
            received = terminal.OutputBytes;
        }

        SessionTraces.ShouldNotContain(received, [token], "what the agent received");
        Encoding.UTF8.GetString(received).Should().Contain("[MASKED:github-token]");
        // The session is over: its clock may catch up with the observer's token, issued on the real clock.
        _broker.CatchUp();
        var traces = await SessionTraces.CollectAsync(_broker, sessionId);
        traces.ShouldNotLeak(token);
    }
}
