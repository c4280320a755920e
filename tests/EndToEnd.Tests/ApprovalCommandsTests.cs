using Broker.Approvals;

namespace EndToEnd.Tests;

/// <summary>
/// <c>agent-client approvals</c> against the built broker: the agent cannot approve its own request, an operator
/// sees the command with its hidden characters shown and approves it, a waiting agent learns the outcome, and a
/// denial needs a reason. The requests are written into the running broker's store, as the session's policy gate
/// will write them.
/// </summary>
public sealed class ApprovalCommandsTests : IClassFixture<BrokerProcess>
{
    private readonly BrokerProcess _broker;

    public ApprovalCommandsTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task The_agent_cannot_approve_itself_an_operator_can_and_the_waiting_agent_exits_0()
    {
        var request = await HoldAsync("agent-e2e", "rm \u202Efdp.txt");
        var agent = await _broker.TokenAsync("agent-e2e");
        var op = await _broker.TokenAsync("op-e2e", "operators");

        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "approvals", "approve", request.Id);
        code.Should().Be(4, "the requester may not decide its own request");
        stderr.Should().Contain("cannot decide its own request");

        (code, var shown, stderr) = await _broker.ClientAsync(op, null, "approvals", "show", request.Id);
        code.Should().Be(0, stderr);
        shown.Should().Contain(@"rm \u{202e}fdp.txt").And.NotContain("\u202E");
        shown.Should().Contain("bidirectional").And.MatchRegex(@"programs\s+rm");

        var waiting = _broker.ClientAsync(agent, null, "approvals", "wait", request.Id, "--timeout", "50");
        // Whether the approval lands before or after the waiter's watch opens, it returns 0: it watches before it reads.
        (code, _, stderr) = await _broker.ClientAsync(op, null, "approvals", "approve", request.Id, "--reason", "checked");
        code.Should().Be(0, stderr);

        var (waitCode, waitOut, waitErr) = await waiting;
        waitCode.Should().Be(0, waitErr);
        waitOut.Should().Contain(request.Id).And.Contain("approved");
    }

    [Fact]
    public async Task A_denial_needs_a_reason_and_wait_reports_it_with_its_exit_code()
    {
        var request = await HoldAsync("agent-e2e-deny", "rm important");
        var agent = await _broker.TokenAsync("agent-e2e-deny");
        var op = await _broker.TokenAsync("op-e2e-deny", "operators");

        var (code, stdout, stderr) = await _broker.ClientAsync(op, null, "approvals", "deny", request.Id);
        code.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("--reason");

        (code, _, stderr) = await _broker.ClientAsync(op, null, "approvals", "deny", request.Id, "--reason", "not today");
        code.Should().Be(0, stderr);

        (code, stdout, _) = await _broker.ClientAsync(agent, null, "approvals", "wait", request.Id);
        code.Should().Be(12);
        stdout.Should().Contain("denied").And.Contain("not today");

        (code, stdout, stderr) = await _broker.ClientAsync(op, null, "approvals", "list", "--state", "denied", "--requester", "agent-e2e-deny");
        code.Should().Be(0, stderr);
        stdout.Should().Contain(request.Id).And.Contain("rm important");
    }

    [Fact]
    public async Task Wait_with_a_timeout_on_a_pending_request_exits_75()
    {
        var request = await HoldAsync("agent-e2e-pending", "rm later");
        var agent = await _broker.TokenAsync("agent-e2e-pending");

        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "approvals", "wait", request.Id, "--timeout", "1");

        code.Should().Be(75);
        stderr.Should().Contain("still pending");
    }

    private async Task<ApprovalRequest> HoldAsync(string requester, string command)
    {
        using var store = new SqliteApprovalStore(Path.Combine(_broker.DataDirectory, SqliteApprovalStore.FileName));
        var coordinator = new ApprovalCoordinator(store, TimeProvider.System);
        using (coordinator)
        {
            return await coordinator.RequestAsync(
                new ApprovalSpec
                {
                    SessionId = "s-e2e-" + Guid.NewGuid().ToString("n"),
                    Target = "local",
                    Role = "agent",
                    Requester = new ApprovalParty("broker-dev", requester),
                    Command = command,
                    PolicyVersion = "dev",
                    RuleId = "agent#review",
                    Reason = "changes files",
                    Programs = ["rm"],
                    Requirements = ApprovalRequirements.From(new Broker.Policy.ApproverSettings { Groups = ["operators"] }),
                },
                CancellationToken.None);
        }
    }
}
