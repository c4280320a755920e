namespace Broker.Policy.Tests;

public sealed class StsSettingsTests
{
    private const string Valid = """
        issuers:
          - issuer: https://idp.example
            audience: broker
        targets:
          - name: local
        identities:
          - issuer: https://idp.example
            roles: [agent]
        roles:
          - name: agent
            targets: [local]
        """;

    private static PolicyError SingleError(string yaml)
    {
        var result = PolicyLoader.Parse(yaml, "policy.yaml");
        result.Succeeded.Should().BeFalse();
        return result.Errors.Should().ContainSingle().Subject;
    }

    [Fact]
    public void Without_an_sts_section_the_public_endpoint_of_us_east_1_is_used()
    {
        var document = PolicyLoader.Parse(Valid, "policy.yaml").Document!;
        document.Sts.ServiceUrl.Should().BeNull();
        document.Sts.Region.Should().Be("us-east-1");
        document.Sts.RequestTimeout.Should().Be(TimeSpan.FromSeconds(10));
        document.Sts.CredentialsEndpointPort.Should().Be(0);
    }

    [Fact]
    public void Sts_section_sets_endpoint_region_timeout_and_port()
    {
        var yaml = Valid + """

            sts:
              service_url: http://127.0.0.1:4566/
              region: eu-west-1
              request_timeout: 30s
              credentials_endpoint_port: 9911
            """;
        var result = PolicyLoader.Parse(yaml, "policy.yaml");
        result.Errors.Should().BeEmpty();
        var sts = result.Document!.Sts;
        sts.ServiceUrl.Should().Be(new Uri("http://127.0.0.1:4566/"));
        sts.Region.Should().Be("eu-west-1");
        sts.RequestTimeout.Should().Be(TimeSpan.FromSeconds(30));
        sts.CredentialsEndpointPort.Should().Be(9911);
    }

    [Theory]
    [InlineData("  service_url: ftp://sts.example/", 2, "absolute http(s) URL")]
    [InlineData("  service_url: https://user:pw@sts.example/", 2, "without user information")]
    [InlineData("  region: Mars", 2, "not an AWS region")]
    [InlineData("  request_timeout: 0s", 2, "between")]
    [InlineData("  credentials_endpoint_port: 70000", 2, "between 0 and 65535")]
    [InlineData("  colour: blue", 2, "unknown key 'colour' in sts")]
    public void Invalid_sts_settings_are_reported_at_their_line(string line, int lineInSection, string message)
    {
        var lines = Valid.Split('\n').Length;
        var error = SingleError(Valid + "\nsts:\n" + line + "\n");
        error.Line.Should().Be(lines + lineInSection);
        error.Column.Should().Be(line.TrimStart().StartsWith("colour", StringComparison.Ordinal) ? 3 : line.IndexOf(':', StringComparison.Ordinal) + 3);
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Role_aws_settings_load_with_their_values()
    {
        var yaml = Valid.Replace("    targets: [local]", """
                targets: [local]
                aws:
                  role_arn: arn:aws:iam::123456789012:role/agent-readonly
                  duration: 30m
                  session_policy: '{"Version":"2012-10-17","Statement":[]}'
                  tags: {team: platform}
                  region: eu-central-1
            """.TrimEnd());
        var result = PolicyLoader.Parse(yaml, "policy.yaml");
        result.Errors.Should().BeEmpty();
        var aws = result.Document!.Roles.Single().Aws!;
        aws.RoleArn.Should().Be("arn:aws:iam::123456789012:role/agent-readonly");
        aws.Duration.Should().Be(TimeSpan.FromMinutes(30));
        aws.SessionPolicy.Should().Contain("2012-10-17");
        aws.Tags.Should().Equal(new Dictionary<string, string> { ["team"] = "platform" });
        aws.Region.Should().Be("eu-central-1");
    }

    [Theory]
    [InlineData("tags: {session: mine}", "reserved")]
    [InlineData("tags: {'aws:x': y}", "reserved")]
    [InlineData("tags: {'bad#key': y}", "keys are 1-128")]
    [InlineData("region: nowhere", "not an AWS region")]
    [InlineData("duration: 13h", "between")]
    [InlineData("external_id: x", "unknown key 'external_id' in aws")]
    public void Invalid_role_aws_settings_are_reported_with_their_position(string setting, string message)
    {
        var yaml = Valid.Replace("    targets: [local]", "    targets: [local]\n    aws:\n      role_arn: arn:aws:iam::123456789012:role/x\n      " + setting);
        var error = SingleError(yaml);
        error.Line.Should().Be(14);
        error.Column.Should().BeGreaterThanOrEqualTo(7);
        error.Message.Should().Contain(message);
    }

    [Fact]
    public void Session_policy_longer_than_sts_accepts_is_refused()
    {
        var statement = string.Concat(Enumerable.Repeat("{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"},", 40));
        var policy = "{\"Version\":\"2012-10-17\",\"Statement\":[" + statement.TrimEnd(',') + "]}";
        var yaml = Valid.Replace("    targets: [local]", "    targets: [local]\n    aws:\n      role_arn: arn:aws:iam::123456789012:role/x\n      session_policy: '" + policy + "'");
        SingleError(yaml).Message.Should().Contain("longer than the 2048 characters");
    }
}
