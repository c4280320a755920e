namespace Broker.Policy.Tests;

public sealed class PolicyLoaderTests
{
    private const string Valid = """
        issuers:
          - issuer: https://idp.example
            audience: broker
        targets:
          - name: local
            kind: local-shell
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

    private static PolicyError SingleError(string yaml)
    {
        var result = PolicyLoader.Parse(yaml, "policy.yaml");
        result.Succeeded.Should().BeFalse();
        return result.Errors.Should().ContainSingle().Subject;
    }

    [Fact]
    public void Valid_policy_loads_into_a_document()
    {
        var result = PolicyLoader.Parse(Valid, "policy.yaml");
        result.Errors.Should().BeEmpty();
        result.Document!.Roles.Single().Rules.Single().Id.Should().Be("ls");
        result.Document.Targets.Single().Shell.Should().Be("/bin/bash");
    }

    [Fact]
    public void Broken_yaml_reports_file_line_and_column()
    {
        var error = SingleError("roles:\n  - name: a\n    targets: [local\n");
        error.File.Should().Be("policy.yaml");
        error.Line.Should().BeGreaterThanOrEqualTo(3);
        error.Message.Should().Contain("invalid YAML");
        error.ToString().Should().StartWith("policy.yaml:");
    }

    [Fact]
    public void Unknown_key_is_reported_at_its_line()
    {
        var error = SingleError(Valid.Replace("    targets: [local]", "    targets: [local]\n    colour: blue"));
        error.Line.Should().Be(13);
        error.Column.Should().Be(5);
        error.Message.Should().Contain("unknown key 'colour'");
    }

    [Fact]
    public void Bad_masking_regex_is_reported_at_the_pattern()
    {
        var error = SingleError(Valid.Replace("    targets: [local]", "    targets: [local]\n    masking:\n      custom:\n        - name: x\n          pattern: '(unclosed'"));
        error.Line.Should().Be(16);
        error.Message.Should().Contain("not a valid regular expression");
    }

    [Fact]
    public void Failing_inline_example_names_the_rule_and_the_example()
    {
        var error = SingleError(Valid + "\n        examples:\n          match: ['cat x']");
        error.Line.Should().Be(17);
        error.Message.Should().Contain("rule 'ls'").And.Contain("'cat x'");
    }

    [Fact]
    public void Not_match_example_that_matches_is_an_error()
    {
        var error = SingleError(Valid + "\n        examples:\n          not_match: ['ls -la']");
        error.Message.Should().Contain("should not match").And.Contain("'ls -la'");
    }

    [Fact]
    public void Default_allow_is_refused()
    {
        var error = SingleError(Valid.Replace("    targets: [local]", "    targets: [local]\n    default: allow"));
        error.Line.Should().Be(13);
        error.Message.Should().Contain("never 'allow'");
    }

    // Longer than the 512 characters STS allows for a role name with its path: refused when the policy loads, as STS would.
    private const string RoleNamePart = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv";
    private const string LongRoleName = RoleNamePart + RoleNamePart + RoleNamePart + RoleNamePart + RoleNamePart + RoleNamePart;

    [Theory]
    [InlineData("    aws: {role_arn: 'arn:aws:iam::123456789012:role/x', duration: 5m}", "between")]
    [InlineData("    aws: {role_arn: 'not-an-arn'}", "not an IAM role ARN")]
    [InlineData("    aws: {role_arn: 'arn:aws:iam::123456789012:role/" + LongRoleName + "'}", "not an IAM role ARN")]
    [InlineData("    aws: {role_arn: 'arn:aws:iam::123456789012:role/x', tags: {Session: s}}", "is reserved")]
    [InlineData("    aws: {role_arn: 'arn:aws:iam::123456789012:role/x', session_policy: '{oops'}", "not valid JSON")]
    [InlineData("    terminal: fancy", "terminal must be")]
    [InlineData("    approvers: {groups: [ops], quorum: 0}", "quorum must be between")]
    [InlineData("    targets: [nowhere]", "matches no target")]
    public void Invalid_role_settings_are_reported(string line, string message)
    {
        var yaml = Valid.Replace("    targets: [local]", line.Contains("targets", StringComparison.Ordinal) ? line : "    targets: [local]\n" + line);
        SingleError(yaml).Message.Should().Contain(message);
    }

    [Theory]
    [InlineData("allow: {programs: [ls]}\n        deny: {programs: [rm]}", "exactly one of")]
    [InlineData("allow: {flags: [-f]}", "needs 'programs'")]
    [InlineData("allow: {constructs: [no-such-thing]}", "unknown construct")]
    [InlineData("allow: {aws: [Describe*]}", "service:Action")]
    [InlineData("allow: {programs: [ls], colour: red}", "unknown key 'colour'")]
    public void Invalid_rules_are_reported(string rule, string message) =>
        SingleError(Valid.Replace("allow: {programs: [ls]}", rule)).Message.Should().Contain(message);

    [Fact]
    public void Identity_referring_to_an_unknown_role_is_an_error() =>
        SingleError(Valid.Replace("roles: [agent]", "roles: [ghost]")).Message.Should().Contain("role 'ghost' is not defined");

    [Fact]
    public void Algorithms_outside_the_allowlist_are_refused() =>
        SingleError(Valid.Replace("    audience: broker", "    audience: broker\n    algorithms: [HS256]")).Message.Should().Contain("HS256");

    [Fact]
    public void Durations_and_limits_are_parsed()
    {
        var yaml = Valid.Replace("    kind: local-shell", "    kind: local-shell\n    idle_timeout: 1h30m\n    max_duration: 90s\n    max_sessions_per_identity: 2\n    environment: {A: b}");
        var target = PolicyLoader.Parse(yaml, "p.yaml").Document!.Targets.Single();
        target.IdleTimeout.Should().Be(TimeSpan.FromMinutes(90));
        target.MaxDuration.Should().Be(TimeSpan.FromSeconds(90));
        target.MaxSessionsPerIdentity.Should().Be(2);
        target.Environment.Should().ContainKey("A");
    }

    [Fact]
    public void Role_settings_are_loaded_into_the_snapshot()
    {
        var yaml = Valid.Replace("    targets: [local]", """
                targets: [local]
                terminal: raw
                default: review
                aws:
                  role_arn: arn:aws:iam::123456789012:role/agent
                  duration: 30m
                  session_policy: '{"Version":"2012-10-17","Statement":[]}'
                  tags: {team: platform}
                  region: eu-west-1
                masking:
                  enable: [aws-secret-key]
                  disable: [email]
                  custom: [{name: ticket, pattern: 'tkt_[a-z0-9]{8}'}]
                  replacement: same-length
                approvers: {groups: [ops, sre], quorum: 2, timeout: 10m}
            """.TrimEnd());
        var result = PolicyLoader.Parse(yaml, "p.yaml");
        result.Errors.Should().BeEmpty();
        var role = result.Document!.Roles.Single();
        role.Terminal.Should().Be(TerminalMode.Raw);
        role.Default.Should().Be(Verdict.Review);
        role.Aws!.Duration.Should().Be(TimeSpan.FromMinutes(30));
        role.Aws.Tags.Should().ContainKey("team");
        role.Aws.Region.Should().Be("eu-west-1");
        role.Masking!.Custom.Single().Pattern.IsMatch("x tkt_abcd1234 y").Should().BeTrue();
        role.Masking.Replacement.Should().Be(MaskReplacement.SameLength);
        role.Approvers!.Quorum.Should().Be(2);
        role.Approvers.Timeout.Should().Be(TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void Several_errors_are_all_reported()
    {
        var yaml = Valid.Replace("    targets: [local]", "    targets: [local]\n    terminal: fancy\n    default: allow");
        PolicyLoader.Parse(yaml, "p.yaml").Errors.Select(e => e.Line).Should().Equal(13, 14);
    }

    [Fact]
    public void Missing_file_is_an_error_value()
    {
        var result = PolicyLoader.LoadFile("/nonexistent/policy.yaml");
        result.Succeeded.Should().BeFalse();
        result.Errors.Single().Message.Should().Contain("cannot read");
    }

    [Fact]
    public void Dev_policy_loads_and_its_examples_pass()
    {
        var report = PolicyAuthoring.RunExamples(DevPolicy.Document);
        report.Succeeded.Should().BeTrue(string.Join('\n', report.Lines));
        report.Lines.Should().Contain(l => l.StartsWith("ok", StringComparison.Ordinal));
        DevPolicy.Document.ObserverGroups.Should().Equal("observers");
        DevPolicy.Document.OperatorGroups.Should().Equal("operators");
    }
}
