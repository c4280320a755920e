using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Grpc.Core;
using Recorder;

namespace Broker.Integration.Tests.Policy;

/// <summary>Exec commands under the dev policy: decided before anything runs.</summary>
public sealed class PolicyEnforcementTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public PolicyEnforcementTests(BrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task An_allowed_command_runs_and_its_decision_is_reported_first()
    {
        var frames = await RawExecAsync(new ExecStart { Target = "local", Script = "ls / | wc -l" });
        frames[0].FrameCase.Should().Be(ExecResponse.FrameOneofCase.Decision);
        frames[0].Decision.Verdict.Should().Be(Verdict.Allow);
        frames[0].Decision.Rule.Should().Be("read-only-programs");
        frames[0].Decision.Programs.Should().Equal("ls", "wc");
        frames.Last().Exit.Code.Should().Be(0);
    }

    [Theory]
    [InlineData("rm -rf /tmp/should-not-exist-e2e", Verdict.Review)]
    [InlineData("r\\m -rf /tmp/should-not-exist-e2e", Verdict.Review)]
    [InlineData("bash -c 'touch /tmp/should-not-exist-e2e'", Verdict.Deny)]
    [InlineData("ls; touch /tmp/should-not-exist-e2e", Verdict.Review)]
    [InlineData("echo $(touch /tmp/should-not-exist-e2e)", Verdict.Review)]
    [InlineData("curl http://127.0.0.1:9/x", Verdict.Deny)]
    public async Task A_command_that_is_not_allowed_never_runs_denied_exits_126_and_held_exits_75(string script, Verdict verdict)
    {
        var marker = "/tmp/should-not-exist-e2e";
        File.Delete(marker);
        // Return mode: a held command ends the call at once instead of waiting for a person.
        var start = new ExecStart { Target = "local", Script = script, NoWait = true };
        var result = await ExecResult.RunAsync(_broker.Client(_broker.Token()), start, null);
        result.Exit!.Code.Should().Be(verdict == Verdict.Review ? 75 : 126);
        result.Exit.Reason.Should().Be(verdict == Verdict.Review ? ExitReason.ApprovalPending : ExitReason.PolicyDenied);
        result.StderrText.Should().Contain(verdict == Verdict.Review ? "held for approval" : "deny");
        File.Exists(marker).Should().BeFalse();
        var frames = await RawExecAsync(start);
        frames[0].Decision.Verdict.Should().Be(verdict);
    }

    [Fact]
    public async Task An_argv_is_decided_literally_and_sh_c_inside_it_is_still_parsed()
    {
        var literal = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token()), "echo", "$(touch /tmp/x)");
        literal.Exit!.Code.Should().Be(0);
        literal.StdoutText.Should().Be("$(touch /tmp/x)\n");

        var wrapped = await ExecResult.RunAsync(_broker.Client(_broker.Token()), new ExecStart { Target = "local", Argv = new Argv { Args = { "sh", "-c", "rm -rf /" } }, NoWait = true }, null);
        wrapped.Exit!.Code.Should().Be(126);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_terminal_opens_with_its_mode_notice_before_any_output_of_the_shell(bool raw)
    {
        // The notice is the session's first event: posted once the session was open, it raced the shell's first prompt and
        // could be drawn after it, where a person reads it as the shell's and a script waiting for the prompt never sees it.
        await using var terminal = await TerminalClient.OpenAsync(_broker.Client(raw ? _broker.Token("person", "shell-users") : _broker.Token()));
        await terminal.WaitForOutputAsync("@broker:");
        terminal.Notices.Should().NotBeEmpty();
        terminal.Notices[0].Message.Should().Contain(raw ? "not checked" : "decided by the policy");
        terminal.OutputBytesBeforeFirstNotice.Should().Be(0);
    }

    [Fact]
    public async Task A_raw_terminal_runs_what_is_typed_and_records_it_as_audited_with_the_decision_it_would_have_had()
    {
        var file = Path.Combine(Path.GetTempPath(), $"raw-audit-{Guid.NewGuid():n}");
        string id;
        await using (var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token("raw-person", "shell-users"))))
        {
            id = terminal.Opened!.SessionId;
            await terminal.WaitForOutputAsync("@broker:");
            await terminal.SendAsync($"touch {file}\r");
            await terminal.WaitForOutputAsync("@broker:", occurrences: 2);
            await terminal.SendAsync("ls /nonexistent-dir\r");
            await terminal.WaitForOutputAsync("@broker:", occurrences: 3);
            await terminal.SendAsync("exit\r");
            await terminal.WaitForExitAsync();
            terminal.Output.Should().NotContain("133;");
        }

        File.Exists(file).Should().BeTrue("a raw terminal is not enforced");
        File.Delete(file);
        var events = await SealedRecording.ReadAsync(_broker, id);
        var commands = events.OfType<CommandEvent>().Select(c => c.Command).ToList();
        commands.Select(c => c.Text).Should().Equal($"touch {file}", "ls /nonexistent-dir", "exit");
        commands[0].Decision.Should().Be("review");
        commands.Should().OnlyContain(c => c.Reason!.StartsWith("audited, not enforced", StringComparison.Ordinal));
        events.OfType<CommandExitEvent>().Select(e => e.ExitCode).Should().Equal(0, 2);
    }

    [Fact]
    public async Task Secrets_printed_by_a_command_are_masked_before_the_agent_sees_them()
    {
        var file = Path.Combine(Path.GetTempPath(), $"secrets-{Guid.NewGuid():n}.txt");
        await File.WriteAllTextAsync(file, "aws_access_key_id = AKIAQWERTYUIOPASDFGH\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKQ\nplain line\n");
        try
        {
            var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token()), "cat", file);
            result.Exit!.Code.Should().Be(0);
            result.StdoutText.Should().NotContain("AKIAQWERTYUIOPASDFGH").And.NotContain("wJalrXUtnFEMI").And.Contain("plain line");
            result.StdoutText.Should().Contain("[MASKED:");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task<List<ExecResponse>> RawExecAsync(ExecStart start)
    {
        using var call = _broker.Client(_broker.Token()).Exec();
        await call.RequestStream.WriteAsync(new ExecRequest { Start = start });
        try
        {
            await call.RequestStream.CompleteAsync();
        }
        catch (InvalidOperationException)
        {
            // The call may already be over when the command was refused.
        }

        var frames = new List<ExecResponse>();
        await foreach (var frame in call.ResponseStream.ReadAllAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            frames.Add(frame);
        }

        return frames;
    }
}
