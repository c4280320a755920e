namespace Broker.Policy.Tests;

/// <summary>The role's <c>approvers</c> section: quorum forms, required claims, the execution window and webhooks, validated at load.</summary>
public sealed class ApproverSettingsTests : IDisposable
{
    private const string Policy = """
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
            default: review
            approvers:
        APPROVERS
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("approver-settings-").FullName;

    [Fact]
    public void Each_group_quorum_required_claims_and_execution_window_load()
    {
        var approvers = Load("""
                  groups: [operators, security]
                  quorum: each-group
                  execution_window: 5m
                  require_claims: {amr: [mfa]}
            """);

        approvers.OneFromEachGroup.Should().BeTrue();
        approvers.ExecutionWindow.Should().Be(TimeSpan.FromMinutes(5));
        approvers.RequiredClaims.Should().ContainKey("amr").WhoseValue.Should().Equal("mfa");
    }

    [Fact]
    public void Defaults_are_one_approver_and_a_ten_minute_window()
    {
        var approvers = Load("      groups: [operators]");

        approvers.Quorum.Should().Be(1);
        approvers.OneFromEachGroup.Should().BeFalse();
        approvers.ExecutionWindow.Should().Be(TimeSpan.FromMinutes(10));
        approvers.Webhooks.Should().BeEmpty();
    }

    [Fact]
    public void A_webhook_reads_its_secret_from_a_file_next_to_the_policy()
    {
        File.WriteAllText(Path.Combine(_directory, "hook.secret"), "0123456789abcdef0123\n");

        var approvers = Load("""
                  groups: [operators]
                  webhooks: [{url: 'https://chat.example/hook', secret_file: hook.secret}]
            """);

        var hook = approvers.Webhooks.Should().ContainSingle().Subject;
        hook.Url.Should().Be(new Uri("https://chat.example/hook"));
        hook.Secret.Should().Equal("0123456789abcdef0123"u8.ToArray());
    }

    [Theory]
    [InlineData("      quorum: most", "must be a number of approvers (1..100) or each-group")]
    [InlineData("      execution_window: forever", "not a duration")]
    [InlineData("      require_claims: {amr: []}", "needs at least one value")]
    [InlineData("      webhooks: [{url: 'ftp://x/y', secret_env: X}]", "absolute http:// or https://")]
    [InlineData("      webhooks: [{url: 'https://x/y'}]", "exactly one of 'secret_file' or 'secret_env'")]
    [InlineData("      webhooks: [{url: 'https://x/y', secret_file: missing.secret}]", "cannot read webhook secret_file")]
    [InlineData("      webhooks: [{url: 'https://x/y', secret_env: BROKER_TEST_UNSET_SECRET_VARIABLE}]", "is not set")]
    public void Bad_approver_settings_are_load_errors_with_their_line(string line, string message)
    {
        var result = PolicyLoader.Parse(Policy.Replace("APPROVERS", "      groups: [operators]\n" + line), Path.Combine(_directory, "policy.yaml"));

        var error = result.Errors.Should().ContainSingle().Subject;
        error.Message.Should().Contain(message);
        error.Line.Should().Be(16, "the second line under approvers");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ApproverSettings Load(string approvers)
    {
        var result = PolicyLoader.Parse(Policy.Replace("APPROVERS", approvers.TrimEnd()), Path.Combine(_directory, "policy.yaml"));
        result.Errors.Should().BeEmpty();
        return result.Document!.Roles.Single().Approvers!;
    }
}
