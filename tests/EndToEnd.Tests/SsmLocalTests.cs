using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.TestSupport;
using EndToEnd.Tests.Terminal;

namespace EndToEnd.Tests;

/// <summary>
/// The <c>ssm-local</c> target of <c>broker serve --dev</c>, with the built broker, agent-client and replay as
/// processes: the broker starts its SSM and STS emulators itself, and an SSM session on the emulated instance is held
/// to the same policy, approvals, masking and recording as the local shell.
/// </summary>
public sealed partial class SsmLocalTests : IClassFixture<BrokerProcess>, IDisposable
{
    private const string Target = "ssm-local";
    private readonly BrokerProcess _broker;
    private readonly SessionScratch _scratch = new("ssm-local-e2e-");

    public SsmLocalTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task Exec_on_ssm_local_prints_the_instances_output_and_returns_its_exit_code()
    {
        var agent = await _broker.TokenAsync("agent-ssm-exec");

        var (code, stdout, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--", "echo", "hi");
        code.Should().Be(0, stderr);
        stdout.Should().Be("hi\n");

        (code, stdout, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--script", "ls -d / /nope");
        // The SSM command document has one output stream: ls's complaint arrives with its output.
        code.Should().Be(2, "GNU ls exits 2 for a missing operand, and the instance's status comes back; " + stderr);
        stdout.Split('\n').Should().Contain("/").And.Contain(l => l.Contains("/nope", StringComparison.Ordinal));
        _broker.Log.Should().Contain("target 'ssm-local' opens SSM sessions on i-0123456789abcdef0 in us-east-1 through http://127.0.0.1:");
    }

    [Fact]
    public async Task A_denied_command_never_reaches_the_instance()
    {
        var agent = await _broker.TokenAsync("agent-ssm-denied");
        var file = _scratch.File("denied");

        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--script", $"bash -c 'touch {file}'");

        code.Should().Be(126, stderr);
        stderr.Should().Contain("deny by rule");
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task A_review_command_is_held_and_runs_once_after_an_operators_approval()
    {
        var agent = await _broker.TokenAsync("agent-ssm-held");
        var op = await _broker.TokenAsync("op-ssm-held", "operators");
        var file = _scratch.File("approved");

        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--no-wait", "--", "touch", file);
        code.Should().Be(75, stderr);
        var id = ApprovalId().Match(stderr).Value;
        id.Should().NotBeEmpty(stderr);
        File.Exists(file).Should().BeFalse("a held command has not reached the instance");

        (code, _, stderr) = await _broker.ClientAsync(op, null, "approvals", "approve", id, "--reason", "checked the path");
        code.Should().Be(0, stderr);
        (code, _, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--no-wait", "--", "touch", file);
        code.Should().Be(0, stderr);
        File.Exists(file).Should().BeTrue("the approved command ran on the instance");
        File.Delete(file);

        (code, _, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--no-wait", "--", "touch", file);
        code.Should().Be(75, "an approval is used once: " + stderr);
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task A_secret_printed_on_the_instance_is_masked_for_the_agent_and_in_the_recording()
    {
        var agent = await _broker.TokenAsync("agent-ssm-secret");
        // Letters only in the random part, sent as octal escapes: the command line itself carries no token.
        var token = "ghp_" + string.Concat(Guid.NewGuid().ToByteArray().Take(10).Select(b => $"{(char)('a' + (b >> 4))}{(char)('a' + (b & 15))}")) + "Xq7Zk2Lm9QwZ4vNb";
        var octal = string.Concat(token.Select(c => "\\" + Convert.ToString(c, 8)));

        var (code, stdout, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--json", "--script", $"printf '{octal}\\n'");

        code.Should().Be(0, stderr);
        stdout.Should().Contain("[MASKED:github-token]").And.NotContain(token[4..]);
        var recording = await VerifiedRecordingAsync(SessionId(stdout));
        (await File.ReadAllTextAsync(recording)).Should().NotContain(token[4..]);
    }

    [Fact]
    public async Task The_recording_of_an_ssm_local_session_verifies_with_replay()
    {
        var agent = await _broker.TokenAsync("agent-ssm-recorded");

        var (code, stdout, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", Target, "--json", "--", "echo", "recorded-on-the-instance");

        code.Should().Be(0, stderr);
        var recording = await VerifiedRecordingAsync(SessionId(stdout));
        (code, var text, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "text", recording],
            environment: new Dictionary<string, string> { ["BROKER_RECORDING_PUBLIC_KEY"] = PublicKey });
        code.Should().Be(0, stderr);
        text.Should().Contain("recorded-on-the-instance");
    }

    [Fact]
    public async Task A_command_typed_in_an_ssm_local_shell_runs_on_the_instance_and_a_denied_one_does_not()
    {
        var file = _scratch.File("typed-denied");
        await using var terminal = await ClientTerminal.StartAsync(_broker, await _broker.TokenAsync("agent-ssm-shell"));
        await terminal.StartClientAsync($"agent-client shell --target {Target}", s => s.Contains("[broker] line mode", StringComparison.Ordinal));

        await terminal.Screen.EnterAsync("echo ty''ped");
        await terminal.Screen.WaitForAsync(s => ClientTerminal.CountLines(s, "typed") > 0, "the typed command's output");
        // Typed while the command still runs, the next line would be its input: it is typed at the next prompt.
        await terminal.Screen.WaitForAsync(s => ClientTerminal.After(s, "\ntyped").Split('\n').Any(l => l.TrimEnd().EndsWith('$')), "the prompt after the command");
        await terminal.Screen.EnterAsync($"bash -c 'touch {file}'");
        await terminal.Screen.WaitForTextAsync("deny by rule");
        await terminal.Screen.PressAsync("C-d");

        (await terminal.ClientExitCodeAsync()).Should().Be(0);
        File.Exists(file).Should().BeFalse();
    }

    public void Dispose() => _scratch.Dispose();

    private string PublicKey => Path.Combine(_broker.DataDirectory, "recording-key.pub.pem");

    private static string SessionId(string json) => json.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => JsonDocument.Parse(line).RootElement)
        .First(e => e.GetProperty("type").GetString() == "opened").GetProperty("session_id").GetString()!;

    /// <summary>The session's recording once <c>replay verify</c> finds it intact and sealed (the broker seals it after the client has its exit).</summary>
    private async Task<string> VerifiedRecordingAsync(string sessionId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var last = string.Empty;
        while (!timeout.IsCancellationRequested)
        {
            var recording = Directory.EnumerateFiles(Path.Combine(_broker.DataDirectory, "recordings"), sessionId + ".brkrec", SearchOption.AllDirectories).SingleOrDefault();
            if (recording is not null)
            {
                var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["verify", recording],
                    environment: new Dictionary<string, string> { ["BROKER_RECORDING_PUBLIC_KEY"] = PublicKey });
                if (code == 0 && stdout.Contains("intact and sealed", StringComparison.Ordinal))
                {
                    return recording;
                }

                last = stdout + stderr;
            }

            await Task.Delay(100, CancellationToken.None);
        }

        throw new TimeoutException($"the recording of {sessionId} never verified as intact and sealed: {last}");
    }

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();
}
