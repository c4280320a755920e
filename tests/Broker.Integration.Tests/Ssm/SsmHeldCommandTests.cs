using System.Text;
using System.Text.RegularExpressions;
using Broker.Approvals;
using Broker.Integration.Tests.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.Integration.Tests.Identity;
using Broker.Protocol.V1;
using Broker.DevServices.Ssm.Agent;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Ssm;

/// <summary>
/// Commands held for review on an <c>ssm</c> target (the policy holds <c>mkdir</c>), waiting for the decision (hold
/// mode): an exec call and a line typed at the remote prompt wait, an operator (another identity) decides, and the
/// emulator's record of what reached the instance, with the file system there, says whether the command ran.
/// </summary>
[Collection(IdentityTestGroup.Name)]
public sealed partial class SsmHeldCommandTests : IClassFixture<SsmBrokerFixture>, IDisposable
{
    // The emulator's instance runs bash as the test's account (root here, so '#'); bash's default prompt ends in it.
    private static readonly string Prompt = Environment.UserName == "root" ? "# " : "$ ";

    private readonly SsmBrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"ssm-held-{Guid.NewGuid():n}");

    public SsmHeldCommandTests(SsmBrokerFixture broker)
    {
        _broker = broker;
        _ = Directory.CreateDirectory(_directory);
    }

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_held_exec_waits_and_once_approved_runs_on_the_instance_with_its_output_and_exit_code()
    {
        var made = Path.Combine(_directory, "approved");
        using var call = await HeldExecCall.StartAsync(Agent(), ["mkdir", "-v", made], noWait: false, null, Ct, target: "ssm");

        var held = await call.Held.WaitAsync(Ct);
        var sessionId = await SessionOfAsync(held.ApprovalId);
        EmulatedSessionsFor(sessionId).Should().BeEmpty("nothing reaches the instance before the approval");
        Directory.Exists(made).Should().BeFalse();
        await Operator().ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId, Reason = "fine" }, cancellationToken: Ct);

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(0);
        outcome.Stdout.Should().Contain($"created directory '{made}'", "the instance's output comes back");
        outcome.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Allow);
        Directory.Exists(made).Should().BeTrue();
        EmulatedSessionsFor(sessionId).Should().ContainSingle("the approved command ran once, on the instance")
            .Which.Parameters["command"].Should().ContainSingle(c => c.Contains(made, StringComparison.Ordinal));

        using var again = await HeldExecCall.StartAsync(Agent(), ["mkdir", made], noWait: false, null, Ct, target: "ssm");
        var second = await again.Held.WaitAsync(Ct);
        await Operator().ApproveRequestAsync(new ApproveRequestRequest { Id = second.ApprovalId }, cancellationToken: Ct);
        (await again.Completion.WaitAsync(Ct)).Exit!.Code.Should().Be(1, "mkdir's own failure (the directory exists) is the remote exit code");
    }

    [Fact]
    public async Task A_denied_held_exec_never_reaches_the_instance()
    {
        var made = Path.Combine(_directory, "denied");
        using var call = await HeldExecCall.StartAsync(Agent(), ["mkdir", made], noWait: false, null, Ct, target: "ssm");
        var held = await call.Held.WaitAsync(Ct);

        await Operator().DenyRequestAsync(new DenyRequestRequest { Id = held.ApprovalId, Reason = "not on a friday" }, cancellationToken: Ct);

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(126);
        outcome.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Deny);
        EmulatedSessionsFor(await SessionOfAsync(held.ApprovalId)).Should().BeEmpty("a denied command opens no SSM session");
        _broker.Ssm.Sessions.Should().NotContain(s => s.Parameters.Values.Any(v => v.Any(c => c.Contains(made, StringComparison.Ordinal))));
        Directory.Exists(made).Should().BeFalse();
    }

    [Fact]
    public async Task A_held_line_waits_at_the_remote_prompt_and_once_approved_runs_there()
    {
        var made = Path.Combine(_directory, "line-approved");
        await using var terminal = await OpenAtPromptAsync();
        var emulated = EmulatedSessionsFor(terminal.Opened!.SessionId).Single();

        var id = await HoldAsync(terminal, $"mkdir {made}");
        Directory.Exists(made).Should().BeFalse("nothing runs before the approval");
        InputText(emulated).Should().NotContain(made, "the held line stays at the broker's prompt");
        await Operator().ApproveRequestAsync(new ApproveRequestRequest { Id = id, Reason = "fine" }, cancellationToken: Ct);
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("exit 4\r");
        await terminal.WaitForExitAsync();

        Directory.Exists(made).Should().BeTrue();
        InputText(emulated).Should().Contain($"mkdir {made}");
        terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Allow, Verdict.Allow);
        terminal.Exit!.Code.Should().Be(4);
    }

    [Fact]
    public async Task A_denied_held_line_is_never_sent_to_the_instance()
    {
        var made = Path.Combine(_directory, "line-denied");
        await using var terminal = await OpenAtPromptAsync();
        var emulated = EmulatedSessionsFor(terminal.Opened!.SessionId).Single();
        var id = await HoldAsync(terminal, $"mkdir {made}");

        await Operator().DenyRequestAsync(new DenyRequestRequest { Id = id, Reason = "not on a friday" }, cancellationToken: Ct);
        await terminal.WaitForOutputAsync(Prompt, occurrences: 2);
        await terminal.SendAsync("echo still-here\r");
        // At the prompt again before 'exit': typed while the echo still runs, it would be typeahead the shell discards.
        await terminal.WaitForOutputAsync(Prompt, occurrences: 3);
        await terminal.SendAsync("exit\r");
        await terminal.WaitForExitAsync();

        terminal.Output.Should().Contain("not on a friday");
        terminal.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Deny, Verdict.Allow, Verdict.Allow);
        InputText(emulated).Should().Contain("echo still-here").And.NotContain(made);
        Directory.Exists(made).Should().BeFalse();
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        _timeout.Dispose();
    }

    [GeneratedRegex("held for approval (apr-[0-9a-f]+)")]
    private static partial Regex HeldNotice();

    private SessionService.SessionServiceClient Agent() => _broker.Client(_broker.Token($"agent-{Guid.NewGuid():n}"));

    private ApprovalService.ApprovalServiceClient Operator() => new(_broker.Channel(_broker.Token($"agent-operator-{Guid.NewGuid():n}", "operators")));

    /// <summary>The broker session that asked for approval <paramref name="approvalId"/>.</summary>
    private async Task<string> SessionOfAsync(string approvalId) =>
        (await _broker.Services.GetRequiredService<ApprovalCoordinator>().GetAsync(approvalId, Ct))!.SessionId;

    /// <summary>The emulator's sessions opened for broker session <paramref name="sessionId"/> (with the credential STS issued for it).</summary>
    private List<EmulatedSession> EmulatedSessionsFor(string sessionId)
    {
        var issued = _broker.IssuedFor(sessionId);
        return [.. _broker.Ssm.Sessions.Where(s => issued.Any(i => i.AccessKeyId == s.StartedBy))];
    }

    /// <summary>Every byte the instance's shell was given, as text.</summary>
    private static string InputText(EmulatedSession session) => Encoding.UTF8.GetString(session.InputReceived());

    private async Task<TerminalClient> OpenAtPromptAsync()
    {
        var terminal = await TerminalClient.OpenAsync(Agent(), target: "ssm");
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
}
