using System.Text;
using System.Text.RegularExpressions;
using Broker.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using ApprovalState = Broker.Approvals.ApprovalState;
using RecordedApprovalKind = Recorder.ApprovalEventKind;

namespace Broker.Integration.Tests.Approvals;

/// <summary>
/// Lines the dev policy holds for review (<c>touch</c>), typed at a line-mode prompt of real bash through a real broker
/// and real gRPC: the prompt says the line is held, an operator decides, and the file system says whether it ran.
/// </summary>
public sealed partial class HeldLineTests : IClassFixture<BrokerFixture>, IDisposable
{
    private const string Prompt = "$ ";

    private readonly BrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("held-line-");

    public HeldLineTests(BrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    private ApprovalCoordinator Coordinator => _broker.Services.GetRequiredService<ApprovalCoordinator>();

    [Fact]
    public async Task An_approved_line_runs_exactly_that_line_once_and_the_recording_says_who_approved()
    {
        var file = _scratch.File("approved");
        string sessionId;
        string id;
        await using (var terminal = await OpenAtPromptAsync())
        {
            sessionId = terminal.Opened!.SessionId;
            id = await HoldAsync(terminal, $"touch {file}");
            File.Exists(file).Should().BeFalse("nothing runs before the approval");
            (await Coordinator.GetAsync(id, Ct))!.State.Should().Be(ApprovalState.Pending, "the request is stored before the prompt says it is held");

            await Operator("op-line-yes").ApproveRequestAsync(new ApproveRequestRequest { Id = id, Reason = "fine" }, cancellationToken: Ct);
            await terminal.WaitForOutputAsync(Prompt, occurrences: 2);

            File.Exists(file).Should().BeTrue();
            terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Allow);
            terminal.Decisions[1].Reason.Should().Contain("approved by op-line-yes");
            await terminal.SendAsync("echo after-approval\r");
            await terminal.WaitForOutputAsync("after-approval\r\n", occurrences: 2);
            await terminal.SendAsync("\u0004");
            await terminal.WaitForExitAsync();
        }

        (await Coordinator.GetAsync(id, Ct))!.State.Should().Be(ApprovalState.Executed);
        var events = await SealedRecording.ReadAsync(_broker, sessionId);
        var line = events.OfType<Recorder.CommandEvent>().Single(c => c.Command.Text.StartsWith("touch", StringComparison.Ordinal)).Command.Number;
        var steps = events.OfType<Recorder.ApprovalEvent>().Select(e => e.Approval).ToList();
        steps.Select(s => s.Kind).Should().Equal(RecordedApprovalKind.Requested, RecordedApprovalKind.Decided, RecordedApprovalKind.Executed);
        steps.Should().OnlyContain(s => s.CommandNumber == line && s.ApprovalId == id);
        steps[1].Approver.Should().Contain("op-line-yes");
        events.OfType<Recorder.CommandExitEvent>().Should().ContainSingle(e => e.CommandNumber == line).Which.ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task A_denied_line_never_reaches_bash_and_the_prompt_says_why()
    {
        var file = _scratch.File("denied");
        await using var terminal = await OpenAtPromptAsync();
        var id = await HoldAsync(terminal, $"touch {file}");

        await Operator("op-line-no").DenyRequestAsync(new DenyRequestRequest { Id = id, Reason = "not on a friday" }, cancellationToken: Ct);
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo still-here\r");
        await terminal.WaitForOutputAsync("still-here\r\n", occurrences: 2);

        File.Exists(file).Should().BeFalse();
        terminal.Output.Should().Contain("not on a friday");
        terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Deny, Verdict.Allow);
        (await Coordinator.GetAsync(id, Ct))!.State.Should().Be(ApprovalState.Denied);
    }

    [Fact]
    public async Task Ctrl_c_while_held_withdraws_the_request_drops_the_keys_typed_before_it_and_gives_a_fresh_prompt()
    {
        var (file, typeahead) = (_scratch.File("withdrawn"), _scratch.File("typeahead"));
        await using var terminal = await OpenAtPromptAsync();
        var id = await HoldAsync(terminal, $"touch {file}");

        await terminal.SendAsync($"touch {typeahead}\r\u0003");
        await terminal.WaitForOutputAsync("withdrawn at the prompt");
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo after-withdraw\r");
        await terminal.WaitForOutputAsync("after-withdraw\r\n", occurrences: 2);

        var request = await Coordinator.GetAsync(id, Ct);
        request!.State.Should().Be(ApprovalState.Withdrawn);
        request.StateReason.Should().Contain("Ctrl-C");
        var late = await FluentActions.Awaiting(() => Operator("op-line-late").ApproveRequestAsync(new ApproveRequestRequest { Id = id }, cancellationToken: Ct).ResponseAsync)
            .Should().ThrowAsync<Grpc.Core.RpcException>();
        late.Which.StatusCode.Should().Be(Grpc.Core.StatusCode.FailedPrecondition);
        File.Exists(file).Should().BeFalse();
        File.Exists(typeahead).Should().BeFalse("the keys typed before Ctrl-C go with the request");
    }

    [Fact]
    public async Task A_session_that_ends_while_a_line_is_held_withdraws_the_request()
    {
        var file = _scratch.File("session-ended");
        string id;
        await using (var terminal = await OpenAtPromptAsync())
        {
            id = await HoldAsync(terminal, $"touch {file}");
        }

        await Eventually(async () => (await Coordinator.GetAsync(id, Ct))!.State == ApprovalState.Withdrawn);
        (await Coordinator.GetAsync(id, Ct))!.StateReason.Should().Contain("session ended");
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task Observers_see_the_held_notice_and_the_held_line_masked()
    {
        var token = "ghp_" + Guid.NewGuid().ToString("n")[..20] + "Xq7Zk2Lm9QwZ4vNb";
        var file = _scratch.File("observed");
        await using var terminal = await OpenAtPromptAsync();
        var (observed, call) = await ObservedSession.AttachAsync(_broker.Recordings(_broker.Token("line-observer", "observers")), terminal.Opened!.SessionId, fromStart: true, Ct);
        using (call)
        {
            var id = await HoldAsync(terminal, $"touch {file}; echo token={token}");
            await terminal.SendAsync("\u0003");
            await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
            await terminal.SendAsync("\u0004");
            await terminal.WaitForExitAsync();
            await observed.ReadToEndAsync(call, Ct);

            var seen = Encoding.UTF8.GetString(observed.Output);
            seen.Should().Contain($"held for approval {id}").And.Contain("Ctrl-C withdraws");
            seen.Should().Contain("echo token=[MASKED:github-token]").And.NotContain(token[4..16]);
            terminal.Output.Should().NotContain(token[4..16]);
        }
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _timeout.Dispose();
    }

    [GeneratedRegex("held for approval (apr-[0-9a-f]+)")]
    private static partial Regex HeldNotice();

    private async Task<TerminalClient> OpenAtPromptAsync()
    {
        var terminal = await TerminalClient.OpenAsync(_broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}")));
        await terminal.WaitForOutputAsync(Prompt);
        return terminal;
    }

    /// <summary>Types <paramref name="command"/> and waits for the prompt to say it is held; returns the approval id.</summary>
    private static async Task<string> HoldAsync(TerminalClient terminal, string command)
    {
        await terminal.SendAsync(command + "\r");
        await terminal.WaitForOutputAsync("Ctrl-C withdraws");
        return HeldNotice().Match(terminal.Output).Groups[1].Value;
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    private ApprovalService.ApprovalServiceClient Operator(string subject) => new(_broker.Channel(_broker.Token(subject, "operators")));
}
