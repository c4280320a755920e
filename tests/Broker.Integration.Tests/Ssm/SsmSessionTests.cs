using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Integration.Tests.Identity;
using Broker.Protocol.V1;
using Grpc.Core;
using Broker.DevServices.Ssm.Api;

namespace Broker.Integration.Tests.Ssm;

/// <summary>
/// Sessions on an <c>ssm</c> target through a real broker: the SSM emulator's instance runs the commands, every SSM
/// call is signed with the session's own assumed-role credential, and policy, masking and recording hold as for a
/// local shell.
/// </summary>
[Collection(IdentityTestGroup.Name)]
public sealed class SsmSessionTests : IClassFixture<SsmBrokerFixture>
{
    // The emulator's instance runs bash as the test's account (root here, so '#'); bash's default prompt ends in it.
    private static readonly string Prompt = Environment.UserName == "root" ? "# " : "$ ";

    private readonly SsmBrokerFixture _broker;

    public SsmSessionTests(SsmBrokerFixture broker) => _broker = broker;

    private SessionService.SessionServiceClient Agent() => _broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}"));

    private static Task<ExecResult> ExecAsync(SessionService.SessionServiceClient client, string script, string target = "ssm") =>
        ExecResult.RunScriptAsync(client, script, target: target);

    /// <summary>The emulator's API calls made for broker session <paramref name="sessionId"/> (StartSession's Reason names it; the rest follow by SSM session).</summary>
    private List<global::Broker.DevServices.Ssm.Api.ApiCall> CallsFor(string sessionId)
    {
        var calls = _broker.Ssm.Calls;
        var ssmSessions = _broker.Ssm.Sessions.Where(s => calls.Any(c => c.Operation == "StartSession" && c.Request.Contains(sessionId, StringComparison.Ordinal))).Select(s => s.SessionId).ToList();
        return [.. calls.Where(c => c.Request.Contains(sessionId, StringComparison.Ordinal) || ssmSessions.Any(id => c.Request.Contains(id, StringComparison.Ordinal)))];
    }

    private int StartSessions() => _broker.Ssm.Calls.Count(c => c.Operation == "StartSession");

    [Fact]
    public async Task Exec_returns_the_instances_output_and_the_remote_exit_code_and_every_call_is_signed_with_the_sessions_role()
    {
        var client = Agent();

        var ok = await ExecAsync(client, "echo hello-from-the-instance");
        var failed = await ExecAsync(client, "ls /no-such-directory-on-the-instance");

        ok.Exit!.Code.Should().Be(0);
        ok.StdoutText.Should().Contain("hello-from-the-instance");
        failed.Exit!.Code.Should().Be(2, "GNU ls exits 2 for a missing operand, and the instance's status comes back");
        foreach (var sessionId in new[] { ok.SessionId, failed.SessionId })
        {
            var issued = _broker.IssuedFor(sessionId);
            issued.Should().NotBeEmpty("the session's role was assumed for it");
            issued.Should().OnlyContain(i => i.Arn.Contains("assumed-role/ssm-operator/", StringComparison.Ordinal));
            var calls = CallsFor(sessionId);
            calls.Should().Contain(c => c.Operation == "StartSession" && c.ErrorCode == null);
            calls.Should().OnlyContain(c => issued.Any(i => i.AccessKeyId == c.AccessKeyId), "every SSM call is signed with this session's own credential");
        }

        _broker.Ssm.Calls.Should().NotContain(c => c.AccessKeyId == _broker.Sts.BaseCredentials.AccessKeyId, "the broker's own key never signs an SSM call");
        await SealedRecording.WaitAsync(_broker, ok.SessionId);
    }

    [Fact]
    public async Task A_target_that_names_its_instance_by_tags_finds_it_with_the_sessions_credential()
    {
        var result = await ExecAsync(Agent(), "echo found-by-tags", target: "ssm-tagged");

        result.Exit!.Code.Should().Be(0);
        result.StdoutText.Should().Contain("found-by-tags");
        var issued = _broker.IssuedFor(result.SessionId);
        _broker.Ssm.Calls.Should().Contain(c => c.Operation == "DescribeInstanceInformation" && c.ErrorCode == null
            && c.Request.Contains("tag:Name", StringComparison.Ordinal) && issued.Any(i => i.AccessKeyId == c.AccessKeyId));
    }

    [Fact]
    public async Task A_denied_command_never_reaches_the_instance()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"ssm-denied-{Guid.NewGuid():n}");
        var before = StartSessions();

        var result = await ExecAsync(Agent(), $"touch {marker}");

        result.Exit!.Code.Should().Be(126);
        File.Exists(marker).Should().BeFalse();
        StartSessions().Should().Be(before, "a denied command opens no SSM session at all");
    }

    [Fact]
    public async Task A_typed_command_runs_on_the_instance_in_line_mode_and_a_denied_one_does_not()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"ssm-typed-{Guid.NewGuid():n}");
        await using var terminal = await TerminalClient.OpenAsync(Agent(), target: "ssm");
        await terminal.WaitForOutputAsync(Prompt);
        terminal.Notices[0].Message.Should().StartWith("line mode");

        await terminal.SendAsync("printf 'x%sy\\n' typed-on-the-instance\r");
        // The line end after the broker's echo of the command comes from the instance (PS0), as a local terminal's echo.
        await terminal.WaitForOutputAsync("typed-on-the-instance\r\nxtyped-on-the-instancey\r\n");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync($"touch {marker}\r");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 3);
        await terminal.SendAsync("exit 3\r");
        await terminal.WaitForExitAsync();

        File.Exists(marker).Should().BeFalse();
        terminal.Exit!.Code.Should().Be(3, "the remote shell's exit status comes back");
        terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Allow, Verdict.Deny, Verdict.Allow);
        terminal.Output.Should().NotContain("133;").And.NotContain("__broker");
        var sessionId = terminal.Opened!.SessionId;
        var issued = _broker.IssuedFor(sessionId);
        CallsFor(sessionId).Should().Contain(c => c.Operation == "StartSession").And.OnlyContain(c => issued.Any(i => i.AccessKeyId == c.AccessKeyId));
        await SealedRecording.WaitAsync(_broker, sessionId);
    }

    [Fact]
    public async Task Ctrl_d_typed_before_the_remote_prompt_is_back_ends_the_session()
    {
        await using var terminal = await TerminalClient.OpenAsync(Agent(), target: "ssm");
        await terminal.WaitForOutputAsync(Prompt);

        // The key reaches the instance while the command still runs and reads nothing: the remote shell reads it next.
        await terminal.SendAsync("printf 'start%s\\n' ed; sleep 2\r");
        await terminal.WaitForOutputAsync("started\r\n");
        await terminal.SendAsync("\u0004");
        await terminal.WaitForExitAsync();

        terminal.Exit!.Code.Should().Be(0, "the remote shell ends with the last command's status (sleep's)");
        terminal.Output.Should().NotContain("^@");
    }

    [Fact]
    public async Task The_remote_line_mode_setup_is_a_setup_record_of_the_recording_ahead_of_the_output_and_hidden_from_the_agent()
    {
        await using var terminal = await TerminalClient.OpenAsync(Agent(), target: "ssm");
        await terminal.WaitForOutputAsync(Prompt);
        await terminal.SendAsync("exit\r");
        await terminal.WaitForExitAsync();

        var events = await SealedRecording.ReadAsync(_broker, terminal.Opened!.SessionId);

        var setup = events.OfType<Recorder.NoticeEvent>().Where(n => n.Kind == "Setup").Should().ContainSingle().Subject;
        setup.Message.Should().StartWith("line-mode prompt markers installed through the session's first input (bash ");
        events.OfType<Recorder.OutputEvent>().Should().NotBeEmpty().And.OnlyContain(o => o.Index > setup.Index, "the setup came before the shell's first output");
        terminal.Notices.Should().NotContain(n => n.Message.Contains("prompt markers", StringComparison.Ordinal), "the setup record is the recording's, not the agent's");
    }

    [Fact]
    public async Task When_the_agent_leaves_the_SSM_session_is_terminated_with_the_sessions_own_credential()
    {
        var terminal = await TerminalClient.OpenAsync(Agent(), target: "ssm");
        await terminal.WaitForOutputAsync(Prompt);
        var sessionId = terminal.Opened!.SessionId;
        var issued = _broker.IssuedFor(sessionId);
        var emulated = _broker.Ssm.Sessions.Single(s => issued.Any(i => i.AccessKeyId == s.StartedBy));

        await terminal.DisposeAsync();
        await emulated.Ended.WaitAsync(TimeSpan.FromSeconds(60));

        emulated.TerminatedByApi.Should().BeTrue("the broker ends the SSM session when its session ends, not the service's idle timeout");

        // The emulator logs a call once it has answered it, which is after the session it ended is seen ended.
        bool Terminated(ApiCall c) => c.Operation == "TerminateSession" && c.ErrorCode == null
            && c.Request.Contains(emulated.SessionId, StringComparison.Ordinal) && issued.Any(i => i.AccessKeyId == c.AccessKeyId);
        using (var logged = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!_broker.Ssm.Calls.Any(Terminated) && !logged.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }
        }

        _broker.Ssm.Calls.Any(Terminated).Should().BeTrue("the broker called TerminateSession for this SSM session with the session's own key");
        await SealedRecording.WaitAsync(_broker, sessionId);
    }

    [Fact]
    public async Task A_secret_the_instance_prints_is_masked_for_the_agent_and_in_the_recording()
    {
        // Letters only in the random part, sent as octal escapes: the command line itself carries no token.
        var token = "ghp_" + string.Concat(Guid.NewGuid().ToByteArray().Take(10).Select(b => $"{(char)('a' + (b >> 4))}{(char)('a' + (b & 15))}")) + "Xq7Zk2Lm9QwZ4vNb";
        var octal = string.Concat(token.Select(c => "\\" + Convert.ToString(c, 8)));

        var result = await ExecAsync(Agent(), $"printf '{octal}\\n'");

        result.Exit!.Code.Should().Be(0);
        result.StdoutText.Should().Contain("[MASKED:github-token]").And.NotContain(token[4..]);
        var path = await SealedRecording.WaitAsync(_broker, result.SessionId);
        Encoding.UTF8.GetString(await File.ReadAllBytesAsync(path)).Should().NotContain(token[4..]);
    }

    [Fact]
    public async Task A_session_without_an_AWS_role_credential_does_not_open_and_says_why()
    {
        var before = StartSessions();

        var result = await ExecAsync(_broker.Client(_broker.Token($"plain-{Guid.NewGuid():n}")), "echo should-not-run");

        result.Exit!.Code.Should().Be(126);
        result.StderrText.Should().Contain("opens SSM sessions with the session's own AWS role credential").And.Contain("aws.role_arn");
        StartSessions().Should().Be(before);
    }

    [Fact]
    public async Task A_session_with_another_roles_credential_does_not_open()
    {
        var before = StartSessions();

        var act = () => TerminalClient.OpenAsync(_broker.Client(_broker.Token($"other-{Guid.NewGuid():n}")), target: "ssm");

        (await act.Should().ThrowAsync<RpcException>()).Which.Status.Detail.Should().Contain($"opens only with the credential of {SsmBrokerFixture.RoleArn}");
        StartSessions().Should().Be(before);
    }
}
