using Broker.Core.Accounts;
using Broker.Policy;
using Broker.Server.Configuration;

namespace Broker.Integration.Tests.Configuration;

/// <summary>How a target's run_as becomes an account on this host, and which choices the broker refuses at load.</summary>
public sealed class TargetAccountsTests
{
    private const uint BrokerUid = 4321;

    private static TargetDefinition Target(TargetAccountDefinition account) =>
        new() { Name = "local", Account = account with { Location = "policy.yaml:7:13" } };

    [Fact]
    public void Per_session_accounts_come_from_the_pool_the_target_names()
    {
        var (account, description, warning, error) = TargetAccounts.Resolve(
            Target(new TargetAccountDefinition { PoolPrefix = "agents", PoolFirstUid = 80_000, PoolCount = 5, PoolRoot = "/srv/s" }), canSwitch: true, BrokerUid);

        error.Should().BeNull();
        account.Should().Be(new TargetAccount.PerSession(new SessionAccountSettings { Prefix = "agents", FirstUid = 80_000, Count = 5, Root = "/srv/s" }));
        warning.Should().BeFalse();
        description.Should().Be("target 'local' runs each session as an account of its own: agents0 to agents4 (uids 80000-80004, created when first needed), homes under /srv/s/homes");
    }

    [Fact]
    public void A_pool_that_holds_the_brokers_own_uid_is_refused_at_its_line()
    {
        var (account, _, _, error) = TargetAccounts.Resolve(Target(new TargetAccountDefinition { PoolFirstUid = 4000, PoolCount = 1000 }), canSwitch: true, BrokerUid);

        account.Should().BeNull();
        error.Should().Be("policy.yaml:7:13: target 'local': the session accounts' uids include the broker's own (4321)");
    }

    [Theory]
    [InlineData("root", "root")]
    [InlineData("0:100", "root")]
    [InlineData("100:0", "the root group")]
    [InlineData("4321:4321", "the broker's own account")]
    public void Root_the_root_group_and_the_brokers_own_account_are_refused_unless_run_as_says_broker(string runAs, string who)
    {
        var definition = runAs.Contains(':', StringComparison.Ordinal)
            ? new TargetAccountDefinition { Kind = RunAsKind.Ids, Uid = uint.Parse(runAs.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture), Gid = uint.Parse(runAs.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture) }
            : new TargetAccountDefinition { Kind = RunAsKind.Name, Name = runAs };

        var (account, _, _, error) = TargetAccounts.Resolve(Target(definition), canSwitch: true, BrokerUid);

        account.Should().BeNull();
        error.Should().StartWith($"policy.yaml:7:13: target 'local' would run its sessions as {who}").And.EndWith("write run_as: broker to accept that explicitly");
    }

    [Fact]
    public void Run_as_broker_is_accepted_with_a_warning_that_there_is_no_boundary()
    {
        var (account, description, warning, error) = TargetAccounts.Resolve(Target(new TargetAccountDefinition { Kind = RunAsKind.Broker }), canSwitch: true, BrokerUid);

        error.Should().BeNull();
        account.Should().BeOfType<TargetAccount.Broker>();
        warning.Should().BeTrue();
        description.Should().Contain("runs its sessions as the broker's own account (uid 4321) because run_as: broker at policy.yaml:7:13").And.Contain("no operating-system boundary");
    }

    [Fact]
    public void A_named_account_that_exists_is_used_with_its_ids_and_home()
    {
        var (account, description, _, error) = TargetAccounts.Resolve(Target(new TargetAccountDefinition { Kind = RunAsKind.Name, Name = "nobody" }), canSwitch: true, BrokerUid);

        error.Should().BeNull();
        account.Should().Be(new TargetAccount.Fixed(new SessionAccount("nobody", 65534, 65534, "/nonexistent")));
        description.Should().Contain("its sessions can reach each other");
    }

    [Fact]
    public void A_named_account_that_does_not_exist_is_refused_at_its_line()
    {
        var (_, _, _, error) = TargetAccounts.Resolve(Target(new TargetAccountDefinition { Kind = RunAsKind.Name, Name = "no-such-account-xyz" }), canSwitch: true, BrokerUid);

        error.Should().Be("policy.yaml:7:13: target 'local': run_as account 'no-such-account-xyz' does not exist");
    }

    [Fact]
    public void Without_the_right_to_switch_accounts_the_broker_refuses_unless_the_target_accepts_its_own_account()
    {
        var refused = TargetAccounts.Resolve(Target(new TargetAccountDefinition()), canSwitch: false, BrokerUid);
        var accepted = TargetAccounts.Resolve(Target(new TargetAccountDefinition { WhenUnprivileged = UnprivilegedBehaviour.RunAsBroker }), canSwitch: false, BrokerUid);

        refused.Account.Should().BeNull();
        refused.Error.Should().StartWith("policy.yaml:7:13: target 'local' runs its sessions as an account of their own (run_as: per-session), but the broker runs as uid")
            .And.EndWith("or set when_unprivileged: run-as-broker to accept running them as the broker's own account");
        accepted.Account.Should().BeOfType<TargetAccount.Broker>();
        accepted.Warning.Should().BeTrue();
        accepted.Description.Should().Contain("because the broker cannot switch accounts").And.Contain("when_unprivileged: run-as-broker allows that");
    }
}
