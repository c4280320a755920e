namespace Broker.Policy.Tests;

/// <summary>The <c>server.approvals</c> section: webhooks for every role, validated at load like a role's own.</summary>
public sealed class ServerApprovalsSettingsTests : IDisposable
{
    private const string Policy = ServerSectionPolicy.Head + "server:\n  approvals:\nAPPROVALS";

    private readonly string _directory = Directory.CreateTempSubdirectory("server-approvals-").FullName;

    [Fact]
    public void Global_webhooks_load_with_their_secret_from_a_file_next_to_the_policy()
    {
        File.WriteAllText(Path.Combine(_directory, "global.secret"), "0123456789abcdef-global\n");

        var result = Parse("    webhooks: [{url: 'https://chat.example/all', secret_file: global.secret}]");

        result.Errors.Should().BeEmpty();
        var hook = result.Document!.Server.Approvals.Webhooks.Should().ContainSingle().Subject;
        hook.Url.Should().Be(new Uri("https://chat.example/all"));
        hook.Secret.Should().Equal("0123456789abcdef-global"u8.ToArray());
    }

    [Fact]
    public void Without_the_section_there_are_no_global_webhooks()
    {
        var result = PolicyLoader.Parse(Policy[..Policy.IndexOf("server:", StringComparison.Ordinal)], Path.Combine(_directory, "policy.yaml"));

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Approvals.Webhooks.Should().BeEmpty();
    }

    [Theory]
    [InlineData("    webhooks: [{url: 'ftp://x/y', secret_env: X}]", "absolute http:// or https://")]
    [InlineData("    webhooks: [{url: 'https://x/y'}]", "exactly one of 'secret_file' or 'secret_env'")]
    [InlineData("    webhooks: [{url: 'https://x/y', secret_env: BROKER_TEST_UNSET_SECRET_VARIABLE}]", "is not set")]
    [InlineData("    hooks: []", "hooks")]
    public void Bad_global_webhooks_are_load_errors_with_their_line(string line, string message)
    {
        var result = Parse(line);

        var error = result.Errors.Should().ContainSingle().Subject;
        error.Message.Should().Contain(message);
        error.Line.Should().Be(16, "the line under server.approvals");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PolicyLoadResult Parse(string approvals) =>
        PolicyLoader.Parse(Policy.Replace("APPROVALS", approvals), Path.Combine(_directory, "policy.yaml"));
}
