namespace Broker.Policy.Tests;

/// <summary>Targets of kind <c>ssm</c>: what the policy file gives, and every mistake reported at its line.</summary>
public sealed class SsmTargetTests
{
    private const string Policy = """
        issuers:
          - issuer: https://idp.example
            audience: broker
        targets:
          - name: web
            kind: ssm
        KEYS
        identities:
          - issuer: https://idp.example
            roles: [agent]
        roles:
          - name: agent
            targets: [web]
            aws: {role_arn: 'arn:aws:iam::123456789012:role/agent'}
            rules:
              - id: ls
                allow: {programs: [ls]}
        """;

    private static PolicyLoadResult Load(string keys) =>
        PolicyLoader.Parse(Policy.Replace("KEYS", keys, StringComparison.Ordinal), "policy.yaml");

    private static TargetDefinition Target(string keys)
    {
        var result = Load(keys);
        result.Errors.Should().BeEmpty();
        return result.Document!.Targets.Single();
    }

    [Fact]
    public void An_instance_id_and_a_region_are_enough_and_the_documents_default_to_the_shell_and_the_non_interactive_command()
    {
        var target = Target("    instance_id: i-0123456789abcdef0\n    region: eu-west-1");

        target.Kind.Should().Be(TargetKind.Ssm);
        var ssm = target.Ssm!;
        ssm.InstanceId.Should().Be("i-0123456789abcdef0");
        ssm.InstanceTags.Should().BeEmpty();
        ssm.Region.Should().Be("eu-west-1");
        ssm.EndpointUrl.Should().BeNull();
        ssm.ShellDocument.Should().Be("SSM-SessionManagerRunShell");
        ssm.CommandDocument.Should().Be("AWS-StartNonInteractiveCommand");
        ssm.RoleArn.Should().BeNull();
    }

    [Fact]
    public void Every_key_is_read_as_given()
    {
        var target = Target("""
                instance_tags: {Name: web, env: prod}
                region: us-east-1
                endpoint_url: http://127.0.0.1:4566/
                shell_document: Team-Shell
                command_document: Team-Command
                role_arn: arn:aws:iam::123456789012:role/agent
                max_sessions_per_identity: 2
                idle_timeout: 5m
            """);

        var ssm = target.Ssm!;
        ssm.InstanceId.Should().BeNull();
        ssm.InstanceTags.Should().Equal(new Dictionary<string, string> { ["Name"] = "web", ["env"] = "prod" });
        ssm.EndpointUrl.Should().Be(new Uri("http://127.0.0.1:4566/"));
        ssm.ShellDocument.Should().Be("Team-Shell");
        ssm.CommandDocument.Should().Be("Team-Command");
        ssm.RoleArn.Should().Be("arn:aws:iam::123456789012:role/agent");
        target.MaxSessionsPerIdentity.Should().Be(2);
        target.IdleTimeout.Should().Be(TimeSpan.FromMinutes(5));
    }

    [Theory]
    [InlineData("    region: us-east-1", 5, 5, "an ssm target needs 'instance_id' (i-… or mi-…) or 'instance_tags'")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    instance_tags: {Name: web}\n    region: us-east-1", 8, 20, "by instance_id or by instance_tags, not both")]
    [InlineData("    instance_id: i-0123456789abcdef0", 5, 5, "an ssm target needs 'region'")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: Europe", 8, 13, "region 'Europe' is not an AWS region name")]
    [InlineData("    instance_id: web-1\n    region: us-east-1", 7, 18, "instance_id 'web-1' is not an instance id")]
    [InlineData("    instance_tags: {}\n    region: us-east-1", 7, 20, "instance_tags needs at least one tag")]
    [InlineData("    instance_tags: {Name: ''}\n    region: us-east-1", 7, 21, "instance tag 'Name': keys are 1-128 and values 1-256")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: us-east-1\n    endpoint_url: 'ftp://x'", 9, 19, "endpoint_url 'ftp://x' must be an absolute http(s) URL")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: us-east-1\n    endpoint_url: 'https://key:secret@ssm.example'", 9, 19, "without user information")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: us-east-1\n    shell_document: 'a b'", 9, 21, "shell_document 'a b' is not an SSM document name")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: us-east-1\n    role_arn: agent", 9, 15, "role_arn 'agent' is not an IAM role ARN")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: us-east-1\n    shell: /bin/bash", 9, 5, "unknown key 'shell' in an ssm target")]
    [InlineData("    instance_id: i-0123456789abcdef0\n    region: us-east-1\n    run_as: deploy", 9, 5, "unknown key 'run_as' in an ssm target")]
    public void Mistakes_are_reported_at_their_line_with_the_reason(string keys, int line, int column, string message)
    {
        var result = Load(keys);

        result.Succeeded.Should().BeFalse();
        var error = result.Errors.Should().ContainSingle().Subject;
        error.Message.Should().Contain(message);
        (error.Line, error.Column).Should().Be((line, column));
    }

    [Fact]
    public void A_local_shell_target_may_not_use_the_ssm_keys()
    {
        var result = PolicyLoader.Parse(Policy.Replace("kind: ssm", "kind: local-shell", StringComparison.Ordinal).Replace("KEYS", "    region: us-east-1", StringComparison.Ordinal), "policy.yaml");

        result.Errors.Should().ContainSingle().Which.Message.Should().Contain("unknown key 'region' in a target");
    }

    [Fact]
    public void An_unknown_kind_names_both_kinds_there_are()
    {
        var result = PolicyLoader.Parse(Policy.Replace("kind: ssm", "kind: kubernetes", StringComparison.Ordinal).Replace("KEYS", "", StringComparison.Ordinal), "policy.yaml");

        result.Errors.Should().ContainSingle().Which.Message.Should().Be("target kind 'kubernetes' is not supported; use local-shell or ssm");
    }
}
