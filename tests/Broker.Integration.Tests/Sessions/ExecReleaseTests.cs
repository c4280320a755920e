using Broker.Core.Sessions;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Integration.Tests.Sessions;

/// <summary>
/// An exec call's status goes out once the program's exit is known and recorded, not once the session's account has
/// been released (its cgroup removed, its home cleaned): the release is held here until the test lets it go.
/// </summary>
public sealed class ExecReleaseTests : IClassFixture<HeldReleaseBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly HeldReleaseBrokerFixture _broker;

    public ExecReleaseTests(HeldReleaseBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task The_calls_status_arrives_while_the_accounts_release_is_held_and_shutdown_still_waits_for_the_release()
    {
        var registry = _broker.Services.GetRequiredService<SessionManager>().Registry;
        var release = _broker.Target.HoldNextRelease();

        // ReadAllAsync ends with the trailers: the call is over while the release cannot finish.
        var result = await ExecResult.RunArgvAsync(_broker.Client(_broker.Token()), "echo", "done").WaitAsync(Timeout);
        result.StdoutText.Should().Be("done\n");
        result.Exit!.Code.Should().Be(0);

        await release.Started.WaitAsync(Timeout);
        var session = registry.Find(result.SessionId)!;
        session.ExitStatus!.Code.Should().Be(0);
        session.Completion.IsCompleted.Should().BeFalse("the release is held");
        registry.RunningCount.Should().Be(0, "an ended session frees its slot once its exit is recorded");
        registry.ReleasingCount.Should().Be(1);

        // Shutdown's wait covers sessions that have ended but are still releasing their accounts.
        var shutdown = registry.TerminateAllAsync("the test stops the broker", TimeSpan.FromMinutes(10));
        shutdown.IsCompleted.Should().BeFalse("the release is still held");

        release.Allow();
        await shutdown.WaitAsync(Timeout);
        await session.Completion.WaitAsync(Timeout);
        registry.ReleasingCount.Should().Be(0);
    }
}

/// <summary>The permissive broker whose local target's session releases can be held by a test.</summary>
public sealed class HeldReleaseBrokerFixture : BrokerFixture
{
    public HeldReleaseBrokerFixture()
    {
        PolicyYaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "permissive-policy.yaml"));
    }

    internal HeldReleaseTarget Target { get; private set; } = null!;

    private protected override void ReplaceServices(IServiceCollection services) =>
        services.AddSingleton(_ =>
        {
            Target = new HeldReleaseTarget(new Broker.Core.Targets.LocalShellTarget(Settings.Targets.Single(t => t.Name == "local"), Containment));
            return new SessionManager([Target], Settings.Time);
        });

    public override async Task DisposeAsync()
    {
        Target?.AllowAll();
        await base.DisposeAsync();
    }
}
