namespace Broker.Policy.Tests;

/// <summary>A local-shell target's account keys: run_as, when_unprivileged, session_accounts, umask.</summary>
public sealed class TargetAccountTests
{
    private const string Policy = """
        issuers:
          - issuer: https://idp.example
            audience: broker
        targets:
          - name: local
            kind: local-shell
        ACCOUNT
        identities:
          - issuer: https://idp.example
            roles: [agent]
        roles:
          - name: agent
            targets: [local]
            rules:
              - id: ls
                allow: {programs: [ls]}
        """;

    private static PolicyLoadResult Load(string accountKeys) =>
        PolicyLoader.Parse(Policy.Replace("ACCOUNT", accountKeys, StringComparison.Ordinal), "policy.yaml");

    private static TargetAccountDefinition Account(string accountKeys)
    {
        var result = Load(accountKeys);
        result.Errors.Should().BeEmpty();
        return result.Document!.Targets.Single().Account;
    }

    [Fact]
    public void Without_run_as_a_target_gives_each_session_an_account_of_its_own_and_refuses_where_it_cannot()
    {
        var account = Account("");

        account.Kind.Should().Be(RunAsKind.PerSession);
        account.WhenUnprivileged.Should().Be(UnprivilegedBehaviour.Refuse);
        account.Location.Should().Be("policy.yaml:5:5", "errors found when the broker resolves the account name the target");
        account.Umask.Should().BeNull();
    }

    [Theory]
    [InlineData("per-session", RunAsKind.PerSession, null, 0u, 0u)]
    [InlineData("broker", RunAsKind.Broker, null, 0u, 0u)]
    [InlineData("deploy", RunAsKind.Name, "deploy", 0u, 0u)]
    [InlineData("build_bot-2", RunAsKind.Name, "build_bot-2", 0u, 0u)]
    [InlineData("1001:1002", RunAsKind.Ids, null, 1001u, 1002u)]
    public void Run_as_names_the_account(string value, RunAsKind kind, string? name, uint uid, uint gid)
    {
        var account = Account($"    run_as: '{value}'");

        account.Kind.Should().Be(kind);
        account.Name.Should().Be(name);
        (account.Uid, account.Gid).Should().Be((uid, gid));
        account.Location.Should().Be("policy.yaml:7:13");
    }

    [Theory]
    [InlineData("    run_as: 'a b'", 7, 13, "run_as 'a b' must be per-session, broker, an account name or uid:gid")]
    [InlineData("    run_as: '1:99999999999'", 7, 13, "is not a valid uid:gid")]
    [InlineData("    when_unprivileged: maybe", 7, 24, "when_unprivileged 'maybe' must be refuse or run-as-broker")]
    [InlineData("    umask: '089'", 7, 12, "umask '089' must be an octal mode")]
    [InlineData("    run_as: deploy\n    session_accounts: {prefix: x}", 8, 23, "session_accounts applies only to run_as: per-session")]
    [InlineData("    session_accounts: {uids: 9-3}", 7, 30, "must be a range FIRST-LAST of at most 100000 uids")]
    [InlineData("    session_accounts: {size: 3}", 7, 24, "unknown key 'size' in session_accounts")]
    public void Bad_account_keys_are_reported_at_their_line(string keys, int line, int column, string message)
    {
        var result = Load(keys);

        var error = result.Errors.Should().ContainSingle().Subject;
        error.Message.Should().Contain(message);
        (error.Line, error.Column).Should().Be((line, column));
    }

    [Fact]
    public void The_pool_and_the_umask_are_read_as_given()
    {
        var account = Account("    when_unprivileged: run-as-broker\n    session_accounts: {prefix: agents, uids: 80000-80009, root: /srv/sessions}\n    umask: '022'");

        account.WhenUnprivileged.Should().Be(UnprivilegedBehaviour.RunAsBroker);
        (account.PoolPrefix, account.PoolFirstUid, account.PoolCount, account.PoolRoot).Should().Be(("agents", 80000u, 10, "/srv/sessions"));
        account.Umask.Should().Be(Convert.ToUInt32("022", 8));
    }

    [Fact]
    public void The_dev_policy_gives_each_session_an_account_and_runs_as_the_broker_only_without_root()
    {
        var local = DevPolicy.Document.Targets.Single(t => t.Name == "local").Account;

        local.Kind.Should().Be(RunAsKind.PerSession);
        local.WhenUnprivileged.Should().Be(UnprivilegedBehaviour.RunAsBroker);
    }
}
