using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport;
using Grpc.Core;

namespace Broker.Integration.Tests.Audit;

/// <summary>
/// Audit events through a real broker (dev policy, real processes): a denied command, an allowed one with a secret in
/// its text, and a held command approved by an operator each leave their rows, read back through
/// <c>AuditService.ListAuditEvents</c>; the secret's bytes are in no row of the database file, and an agent may not read
/// the log.
/// </summary>
public sealed class AuditThroughBrokerTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("audit-it-");

    public AuditThroughBrokerTests(BrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_denied_an_allowed_and_an_approved_command_are_audited_and_the_secret_is_in_no_row()
    {
        var agent = "agent-audit-" + Guid.NewGuid().ToString("n")[..8];
        // Letters only after the prefix: no digit of it can turn up in a recorded time or size.
        var secret = "ghp_" + string.Concat(Guid.NewGuid().ToByteArray().Take(10).Select(b => $"{(char)('a' + (b >> 4))}{(char)('a' + (b & 15))}")) + "Xq7Zk2Lm9QwZ4vNb";
        var client = _broker.Client(_broker.Token(agent));

        var denied = await ExecResult.RunArgvAsync(client, "bash", "-c", "true");
        var allowed = await ExecResult.RunArgvAsync(client, "echo", secret);
        allowed.Exit!.Code.Should().Be(0);
        var file = _scratch.File("approved");
        using (var call = await Approvals.HeldExecCall.StartAsync(client, ["touch", file], noWait: false, null, Ct))
        {
            var held = await call.Held.WaitAsync(Ct);
            await new ApprovalService.ApprovalServiceClient(_broker.Channel(_broker.Token("op-audit", "operators")))
                .ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId, Reason = "fine" }, cancellationToken: Ct);
            (await call.Completion.WaitAsync(Ct)).Exit!.Code.Should().Be(0);
        }

        File.Exists(file).Should().BeTrue();
        var observer = _broker.Token("auditor", "observers");
        var events = await EventuallyAsync(observer, new ListAuditEventsRequest { Subject = agent }, e => e.Count(x => x.Kind == AuditEventKind.SessionEnded) == 3);

        var commands = events.Where(e => e.Kind == AuditEventKind.CommandDecided).ToList();
        // A held command is one decision, review, as in the recording; its approval says how it went on.
        commands.Select(e => e.Decision).Should().Equal("deny", "allow", "review");
        commands[0].Fields["rule"].Should().Be("shells-and-interpreters");
        commands[1].Fields["text"].Should().Contain("[MASKED:github-token]").And.StartWith("echo ");
        commands.Should().OnlyContain(e => e.Fields["sequence"] == "1", "an exec session has one command");
        events.Where(e => e.Kind == AuditEventKind.SessionOpened).Should().HaveCount(3).And.OnlyContain(e => e.Fields["target"] == "local" && e.Fields["kind"] == "exec");
        events.Where(e => e.Kind == AuditEventKind.ApprovalRequested).Should().ContainSingle();
        var heldSession = events.Single(e => e.Kind == AuditEventKind.ApprovalRequested).SessionId;
        events.Select(e => e.At.ToDateTimeOffset()).Should().BeInAscendingOrder();

        var decided = await EventuallyAsync(observer, new ListAuditEventsRequest { SessionId = heldSession, Kind = AuditEventKind.ApprovalDecided }, e => e.Count > 0);
        decided.Should().ContainSingle().Which.Should().Match<AuditEvent>(e => e.Decision == "approved" && e.ActorSubject == "op-audit" && e.Fields["groups"] == "operators");
        (await ListAsync(observer, new ListAuditEventsRequest { Subject = agent, Decision = "deny" })).Should().ContainSingle().Which.Kind.Should().Be(AuditEventKind.CommandDecided);

        // The secret, in no row: the database file and its write-ahead log, byte for byte.
        var bytes = Encoding.UTF8.GetBytes(secret[4..]);
        foreach (var path in Directory.EnumerateFiles(_broker.DataDirectory, "audit.db*"))
        {
            var content = await ReadSharedAsync(path);
            content.AsSpan().IndexOf(bytes).Should().Be(-1, $"{path} must not hold the secret");
        }
    }

    [Fact]
    public async Task An_agent_may_not_read_the_audit_log()
    {
        var read = () => ListAsync(_broker.Token("agent-nosy"), new ListAuditEventsRequest());

        (await read.Should().ThrowAsync<RpcException>()).Which.StatusCode.Should().Be(StatusCode.PermissionDenied);
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _scratch.Dispose();
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<List<AuditEvent>> ListAsync(string token, ListAuditEventsRequest request)
    {
        using var call = new AuditService.AuditServiceClient(_broker.Channel(token)).ListAuditEvents(request, cancellationToken: Ct);
        var events = new List<AuditEvent>();
        await foreach (var response in call.ResponseStream.ReadAllAsync(Ct))
        {
            events.Add(response.Event);
        }

        return events;
    }

    /// <summary>The events <paramref name="request"/> lists once <paramref name="done"/> holds (the writer stores them off the sessions' path).</summary>
    private async Task<List<AuditEvent>> EventuallyAsync(string token, ListAuditEventsRequest request, Func<List<AuditEvent>, bool> done)
    {
        while (true)
        {
            var events = await ListAsync(token, request);
            if (done(events))
            {
                return events;
            }

            await Task.Delay(50, Ct);
        }
    }
}
