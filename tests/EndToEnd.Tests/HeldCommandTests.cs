using System.Text.Json;
using System.Text.RegularExpressions;
using Broker.TestSupport;

namespace EndToEnd.Tests;

/// <summary>
/// Commands the dev policy holds for review, with the built broker and agent-client as processes: return mode
/// (<c>exec --no-wait</c>, exit 75 with the approval id), the agent's own approval refused, an operator's approval
/// used by the identical command exactly once, and a broker killed with SIGKILL that loses no decided request.
/// </summary>
public sealed partial class HeldCommandTests : IClassFixture<BrokerProcess>, IDisposable
{
    private readonly BrokerProcess _broker;
    private readonly SessionScratch _scratch = new("held-e2e-");

    public HeldCommandTests(BrokerProcess broker) => _broker = broker;

    [Fact]
    public async Task No_wait_exits_75_with_the_id_an_operator_approves_and_the_identical_command_runs_once()
    {
        var file = await DeletableFileAsync("remove-me");
        var other = await DeletableFileAsync("keep-me");
        var agent = await _broker.TokenAsync("agent-held-e2e");
        var op = await _broker.TokenAsync("op-held-e2e", "operators");

        var (code, _, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--no-wait", "--", "rm", file);
        code.Should().Be(75, stderr);
        var id = ApprovalId().Match(stderr).Value;
        id.Should().NotBeEmpty(stderr);
        File.Exists(file).Should().BeTrue();

        (code, _, stderr) = await _broker.ClientAsync(agent, null, "approvals", "approve", id);
        code.Should().Be(4, "the agent may not approve its own command");
        (code, _, stderr) = await _broker.ClientAsync(op, null, "approvals", "approve", id, "--reason", "checked the path");
        code.Should().Be(0, stderr);

        (code, _, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--no-wait", "--", "rm", file);
        code.Should().Be(0, stderr);
        File.Exists(file).Should().BeFalse();

        (code, var json, stderr) = await _broker.ClientAsync(agent, null, "exec", "--target", "local", "--no-wait", "--json", "--", "rm", other);
        code.Should().Be(75, stderr);
        var held = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Single(e => e.GetProperty("type").GetString() == "held");
        held.GetProperty("approval_id").GetString().Should().MatchRegex("^apr-[0-9a-f]{20}$").And.NotBe(id);
        File.Exists(other).Should().BeTrue("a different command is a new request");
    }

    [Fact]
    public async Task After_kill_9_the_pending_request_is_withdrawn_and_the_approved_one_is_intact()
    {
        var first = new BrokerProcess();
        await first.InitializeAsync();
        var second = new BrokerProcess { DataDirectory = first.DataDirectory };
        try
        {
            var agent = await first.TokenAsync("agent-restart");
            var op = await first.TokenAsync("op-restart", "operators");
            var (code, _, pendingErr) = await first.ClientAsync(agent, null, "exec", "--target", "local", "--no-wait", "--", "touch", _scratch.File("pending"));
            code.Should().Be(75, pendingErr);
            (code, _, var approvedErr) = await first.ClientAsync(agent, null, "exec", "--target", "local", "--no-wait", "--", "touch", _scratch.File("approved"));
            code.Should().Be(75, approvedErr);
            var (pending, approved) = (ApprovalId().Match(pendingErr).Value, ApprovalId().Match(approvedErr).Value);
            (code, _, var stderr) = await first.ClientAsync(op, null, "approvals", "approve", approved);
            code.Should().Be(0, stderr);

            first.KillHard();
            await second.InitializeAsync();

            (code, var shown, stderr) = await second.ClientAsync(op, null, "approvals", "show", pending);
            code.Should().Be(0, stderr);
            shown.Should().Contain("withdrawn").And.Contain("restarted");
            (code, shown, stderr) = await second.ClientAsync(op, null, "approvals", "show", approved);
            code.Should().Be(0, stderr);
            shown.Should().Contain("approved").And.Contain("op-restart");
            (code, _, stderr) = await second.ClientAsync(agent, null, "exec", "--target", "local", "--no-wait", "--", "touch", _scratch.File("approved"));
            code.Should().Be(0, stderr);
            File.Exists(_scratch.File("approved")).Should().BeTrue();
            File.Exists(_scratch.File("pending")).Should().BeFalse();
        }
        finally
        {
            await second.DisposeAsync();
            await first.DisposeAsync();
        }
    }

    public void Dispose() => _scratch.Dispose();

    [GeneratedRegex("apr-[0-9a-f]{20}")]
    private static partial Regex ApprovalId();

    /// <summary>A file a session's own account may delete: in a world-writable directory without the sticky bit.</summary>
    private async Task<string> DeletableFileAsync(string name)
    {
        var directory = Directory.CreateDirectory(_scratch.File("open-" + name)).FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        }

        var path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, "x");
        return path;
    }
}
