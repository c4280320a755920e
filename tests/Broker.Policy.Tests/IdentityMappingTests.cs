namespace Broker.Policy.Tests;

public sealed class IdentityMappingTests
{
    private const string Yaml = """
        issuers:
          - issuer: https://idp.example
            audience: broker
          - issuer: https://token.actions.githubusercontent.com
            audience: broker
            required_claims: {repository_owner: [acme]}
        targets:
          - name: local
          - name: prod-shell
        identities:
          - issuer: https://idp.example
            claims: {sub: [alice]}
            roles: [admin]
          - issuer: https://idp.example
            claims: {groups: ["sre-*"]}
            roles: [sre]
          - issuer: https://token.actions.githubusercontent.com
            claims: {repository: [acme/deploy], ref: [refs/heads/main]}
            roles: [deployer]
        observers: {groups: [watchers]}
        operators: {groups: [ops]}
        roles:
          - name: admin
            targets: ["*"]
          - name: sre
            targets: [local]
          - name: deployer
            targets: ["prod-*"]
        """;

    private static readonly PolicyDocument Policy = PolicyLoader.Parse(Yaml, "p.yaml").Document!;

    private static CallerIdentity Identity(string issuer, string sub, params (string Claim, string[] Values)[] claims) =>
        new(issuer, sub, claims.ToDictionary(c => c.Claim, c => (IReadOnlyList<string>)c.Values));

    [Fact]
    public void Subject_claim_grants_a_role() =>
        Policy.ResolveRoles(Identity("https://idp.example", "alice")).Select(r => r.Name).Should().Equal("admin");

    [Fact]
    public void Any_value_of_a_multi_valued_claim_may_match_a_glob() =>
        Policy.ResolveRoles(Identity("https://idp.example", "bob", ("groups", ["dev", "sre-oncall"]))).Select(r => r.Name).Should().Equal("sre");

    [Fact]
    public void Every_listed_claim_must_match()
    {
        var github = "https://token.actions.githubusercontent.com";
        Policy.ResolveRoles(Identity(github, "repo:acme/deploy", ("repository", ["acme/deploy"]), ("ref", ["refs/heads/main"]), ("repository_owner", ["acme"])))
            .Select(r => r.Name).Should().Equal("deployer");
        Policy.ResolveRoles(Identity(github, "repo:acme/deploy", ("repository", ["acme/deploy"]), ("ref", ["refs/heads/feature"]), ("repository_owner", ["acme"])))
            .Should().BeEmpty();
    }

    [Fact]
    public void Issuer_required_claims_must_hold() =>
        Policy.ResolveRoles(Identity("https://token.actions.githubusercontent.com", "x", ("repository", ["acme/deploy"]), ("ref", ["refs/heads/main"]), ("repository_owner", ["evil"])))
            .Should().BeEmpty();

    [Fact]
    public void Untrusted_issuer_gets_no_roles() =>
        Policy.ResolveRoles(Identity("https://evil.example", "alice")).Should().BeEmpty();

    [Fact]
    public void Several_rules_grant_several_roles() =>
        Policy.ResolveRoles(Identity("https://idp.example", "alice", ("groups", ["sre-1"]))).Select(r => r.Name).Should().Equal("admin", "sre");

    [Fact]
    public void Target_access_follows_role_target_globs()
    {
        var sre = Policy.ResolveRoles(Identity("https://idp.example", "bob", ("groups", ["sre-1"])));
        Policy.CheckTarget(sre, "local").IsAllowed.Should().BeTrue();
        var denied = Policy.CheckTarget(sre, "prod-shell");
        denied.IsAllowed.Should().BeFalse();
        denied.Message.Should().Be("access to target 'prod-shell' is not permitted");
        Policy.CheckTarget(sre, "missing").Message.Should().Be("access to target 'missing' is not permitted");
    }

    [Fact]
    public void Observer_and_operator_groups_are_recognised()
    {
        Policy.IsObserver(Identity("https://idp.example", "w", ("groups", ["watchers"]))).Should().BeTrue();
        Policy.IsOperator(Identity("https://idp.example", "w", ("groups", ["watchers"]))).Should().BeFalse();
    }

    [Fact]
    public void Any_dev_token_gets_the_agent_roles_of_the_local_shell_and_of_ssm_local() =>
        DevPolicy.Document.ResolveRoles(DevPolicy.Agent).Select(r => r.Name).Should().Equal("agent", "agent-ssm");
}
