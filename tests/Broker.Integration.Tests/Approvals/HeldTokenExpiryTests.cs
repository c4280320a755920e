using Broker.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Broker.Server.Configuration;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ApprovalState = Broker.Approvals.ApprovalState;

namespace Broker.Integration.Tests.Approvals;

/// <summary>The dev policy's broker on a fake clock (tokens, approvals and sessions alike), so a token can expire while its command is held.</summary>
public sealed class HeldTokenClockBrokerFixture : BrokerFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>A dev token issued on the broker's fake clock.</summary>
    public string Mint(string subject, TimeSpan lifetime, params string[] groups) =>
        Broker.Identity.Dev.DevIssuer.LoadOrCreate(DataDirectory, Clock).Mint(subject, groups, lifetime);

    private protected override BrokerSettings Configure(BrokerSettings settings) => settings with { Time = Clock };
}

/// <summary>
/// A held command waits no longer than its caller's token lives: when the token expires first, the call ends as in
/// return mode (exit 75), the request stays pending, and an approval given afterwards runs nothing until the agent
/// runs the identical command again with a fresh token.
/// </summary>
public sealed class HeldTokenExpiryTests : IClassFixture<HeldTokenClockBrokerFixture>, IDisposable
{
    private static readonly TimeSpan ShortLifetime = TimeSpan.FromMinutes(2);

    private readonly HeldTokenClockBrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("held-token-");

    public HeldTokenExpiryTests(HeldTokenClockBrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    private ApprovalCoordinator Coordinator => _broker.Services.GetRequiredService<ApprovalCoordinator>();

    [Fact]
    public async Task A_token_that_expires_while_its_command_is_held_ends_the_wait_and_a_later_approval_runs_nothing()
    {
        var file = _scratch.File("expired-token");
        using var call = await HeldExecCall.StartAsync(Agent("agent-short", ShortLifetime), ["touch", file], noWait: false, null, Ct);
        var held = await call.Held.WaitAsync(Ct);

        _broker.Clock.Advance(ShortLifetime + TimeSpan.FromSeconds(1));

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(75);
        outcome.Exit.Reason.Should().Be(ExitReason.ApprovalPending);
        outcome.Stderr.Should().Contain("token expired").And.Contain(held.ApprovalId);
        (await Coordinator.GetAsync(held.ApprovalId, Ct))!.State.Should().Be(ApprovalState.Pending, "an expired token does not withdraw the request");

        await Operator("op-after-expiry").ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId }, cancellationToken: Ct);
        (await Coordinator.GetAsync(held.ApprovalId, Ct))!.State.Should().Be(ApprovalState.Approved);
        File.Exists(file).Should().BeFalse("the call whose token expired is over; nothing runs on its behalf");

        var again = await HeldExecCall.RunAsync(Agent("agent-short", TimeSpan.FromHours(1)), ["touch", file], noWait: false, Ct);
        again.Exit!.Code.Should().Be(0, again.Stderr);
        File.Exists(file).Should().BeTrue("the identical command with a fresh token uses the approval");
        (await Coordinator.GetAsync(held.ApprovalId, Ct))!.State.Should().Be(ApprovalState.Executed);
    }

    [Fact]
    public async Task A_token_that_outlives_the_wait_lets_the_approved_command_run()
    {
        var file = _scratch.File("long-token");
        using var call = await HeldExecCall.StartAsync(Agent("agent-long", TimeSpan.FromHours(1)), ["touch", file], noWait: false, null, Ct);
        var held = await call.Held.WaitAsync(Ct);

        _broker.Clock.Advance(ShortLifetime + TimeSpan.FromSeconds(1));
        await Operator("op-in-time").ApproveRequestAsync(new ApproveRequestRequest { Id = held.ApprovalId }, cancellationToken: Ct);

        var outcome = await call.Completion.WaitAsync(Ct);
        outcome.Exit!.Code.Should().Be(0, outcome.Stderr);
        File.Exists(file).Should().BeTrue();
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _timeout.Dispose();
    }

    private SessionService.SessionServiceClient Agent(string subject, TimeSpan lifetime) => new(_broker.Channel(_broker.Mint(subject, lifetime)));

    private ApprovalService.ApprovalServiceClient Operator(string subject) => new(_broker.Channel(_broker.Mint(subject, TimeSpan.FromHours(1), "operators")));
}
