using Broker.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ApprovalState = Broker.Approvals.ApprovalState;

namespace Broker.Integration.Tests.Approvals;

/// <summary>A broker whose approvals run on a fake clock (sessions and tokens keep real time), so a test can let requests expire.</summary>
public sealed class ApprovalClockBrokerFixture : BrokerFixture
{
    public FakeTimeProvider ApprovalClock { get; } = new(DateTimeOffset.UtcNow);

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton(sp => new ApprovalCoordinator(sp.GetRequiredService<IApprovalStore>(), ApprovalClock, sp.GetServices<IApprovalListener>()));
}

/// <summary>Held commands whose time ran out (the dev policy: 15 minutes to decide, 10 to use an approval), on a fake clock.</summary>
public sealed class ApprovalExpiryTests : IClassFixture<ApprovalClockBrokerFixture>, IDisposable
{
    private readonly ApprovalClockBrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("approval-expiry-");

    public ApprovalExpiryTests(ApprovalClockBrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    [Fact]
    public async Task A_held_command_nobody_decides_expires_and_never_runs()
    {
        var file = _scratch.File("expired");
        using var call = await HeldExecCall.StartAsync(_broker.Client(_broker.Token("agent-expiry")), ["touch", file], noWait: false, null, Ct);
        var held = await call.Held.WaitAsync(Ct);

        _broker.ApprovalClock.Advance(TimeSpan.FromMinutes(16));

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(126);
        outcome.Decisions.Select(d => d.Verdict).Should().Equal(Verdict.Review, Verdict.Deny);
        outcome.Decisions[1].Reason.Should().Contain("approval timeout");
        File.Exists(file).Should().BeFalse();
        (await _broker.Services.GetRequiredService<ApprovalCoordinator>().GetAsync(held.ApprovalId, Ct))!.State.Should().Be(ApprovalState.Expired);
    }

    [Fact]
    public async Task An_approval_not_used_within_its_window_expires_and_the_command_is_held_again()
    {
        var file = _scratch.File("unused");
        var agent = _broker.Client(_broker.Token("agent-window"));
        var first = await HeldExecCall.RunAsync(agent, ["touch", file], noWait: true, Ct);
        await new ApprovalService.ApprovalServiceClient(_broker.Channel(_broker.Token("op-window", "operators")))
            .ApproveRequestAsync(new ApproveRequestRequest { Id = first.Held!.ApprovalId }, cancellationToken: Ct);

        _broker.ApprovalClock.Advance(TimeSpan.FromMinutes(11));

        var late = await HeldExecCall.RunAsync(agent, ["touch", file], noWait: true, Ct);
        late.Exit!.Code.Should().Be(75);
        late.Held!.ApprovalId.Should().NotBe(first.Held.ApprovalId);
        File.Exists(file).Should().BeFalse();
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _timeout.Dispose();
    }
}
