using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Access;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Approvals;

/// <summary>A policy reload while a command is held: if the new policy denies the command, an approval does not make it run.</summary>
public sealed class ApprovalReloadTests : IClassFixture<ApprovalReloadTests.HoldingBrokerFixture>, IDisposable
{
    private const string Policy = """
        version: 1
        issuers:
          - issuer: broker-dev
            audience: broker
        targets:
          - name: local
            shell: /bin/bash
            args: [--norc, --noprofile]
        identities:
          - issuer: broker-dev
            roles: [tester]
        operators:
          groups: [operators]
        roles:
          - name: tester
            targets: [local]
            default: deny
            approvers:
              groups: [operators]
              quorum: 1
              timeout: 15m
            rules:
              - id: touch
                VERDICT: {programs: [touch]}
        """;

    private readonly HoldingBrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("approval-reload-");

    public ApprovalReloadTests(HoldingBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task A_reload_that_now_denies_a_held_command_wins_over_its_approval()
    {
        // Resolved before the file changes: the reloader remembers the file in force when it is made.
        var reloader = _broker.Services.GetRequiredService<PolicyReloader>();
        var file = _scratch.File("reloaded");
        using var call = await HeldExecCall.StartAsync(_broker.Client(_broker.Token("agent-reload")), ["touch", file], noWait: false, null, _timeout.Token);
        var held = await call.Held.WaitAsync(_timeout.Token);

        var temporary = _broker.PolicyFile + ".new";
        await File.WriteAllTextAsync(temporary, PolicyWith("deny"), _timeout.Token);
        File.Move(temporary, _broker.PolicyFile!, overwrite: true);
        reloader.Reload().Should().BeEmpty();
        await new ApprovalService.ApprovalServiceClient(_broker.Channel(_broker.Token("op-reload", "operators")))
            .ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId }, cancellationToken: _timeout.Token);

        var outcome = await call.Completion.WaitAsync(_timeout.Token);
        outcome.Exit!.Code.Should().Be(126, string.Join(" | ", outcome.Decisions.Select(d => $"{d.Verdict} {d.Rule} {d.Reason}")));
        outcome.Decisions[^1].Verdict.Should().Be(Verdict.Deny);
        outcome.Decisions[^1].Reason.Should().Contain("policy now denies");
        File.Exists(file).Should().BeFalse();
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _timeout.Dispose();
    }

    private static string PolicyWith(string verdict) => Policy.Replace("VERDICT", verdict, StringComparison.Ordinal);

    public sealed class HoldingBrokerFixture : BrokerFixture
    {
        public HoldingBrokerFixture() => PolicyYaml = PolicyWith("review");
    }
}
