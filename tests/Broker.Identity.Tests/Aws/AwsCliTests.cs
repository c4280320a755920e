using System.Diagnostics;
using System.Text.Json;
using Broker.Identity.Aws;
using Broker.TestSupport.Aws;

namespace Broker.Identity.Tests.Aws;

/// <summary>The real AWS CLI fetches a session's credentials from a container-credentials endpoint and signs with them.</summary>
public sealed class AwsCliTests : StsTestBase
{
    private const string Cli = "/usr/bin/aws";

    [Fact]
    public async Task Aws_cli_signs_with_the_sessions_credentials_and_keeps_working_after_they_expire()
    {
        var announced = new List<SessionCredentials>();
        using var source = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-cli", announced.Add);
        await using var endpoint = await ContainerCredentialsEndpoint.StartAsync(source.IsAuthorized, Serve(source)).WaitAsync(Timeout);

        var first = await RunCli(endpoint.Url, source.AuthorizationToken);
        Time.Advance(TimeSpan.FromMinutes(15));
        var second = await RunCli(endpoint.Url, source.AuthorizationToken);

        first.ExitCode.Should().Be(0, first.Output);
        second.ExitCode.Should().Be(0, second.Output);
        JsonDocument.Parse(first.Output).RootElement.GetProperty("Arn").GetString().Should().Be("arn:aws:sts::123456789012:assumed-role/agent-deployer/ci-agent");
        announced.Should().HaveCount(2);
        Sts.CallerIdentityCalls.Select(c => c.AccessKeyId).Should().Equal(announced.Select(c => c.AccessKeyId));
        Sts.Rejections.Should().BeEmpty();
    }

    [Fact]
    public async Task Aws_cli_with_a_wrong_token_gets_no_credentials()
    {
        using var source = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-cli", _ => { });
        await using var endpoint = await ContainerCredentialsEndpoint.StartAsync(source.IsAuthorized, Serve(source)).WaitAsync(Timeout);

        var result = await RunCli(endpoint.Url, "not-the-session-token");

        result.ExitCode.Should().NotBe(0);
        endpoint.RefusedRequests.Should().BeGreaterThan(0);
        endpoint.ServedRequests.Should().Be(0);
        Sts.CallerIdentityCalls.Should().BeEmpty();
    }

    private static Func<CancellationToken, Task<string?>> Serve(SessionCredentialSource source) => async ct =>
    {
        var outcome = await source.GetCurrentAsync(ct);
        return outcome.IsSuccess ? ContainerCredentialsJson.Serialize(outcome.Credentials) : null;
    };

    private async Task<(int ExitCode, string Output)> RunCli(Uri credentialsUrl, string token)
    {
        var home = Directory.CreateTempSubdirectory("aws-cli-home-").FullName;
        try
        {
            var start = new ProcessStartInfo(Cli)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "sts", "get-caller-identity", "--endpoint-url", Sts.ServiceUrl.AbsoluteUri, "--output", "json" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment.Clear();
            start.Environment["PATH"] = "/usr/bin:/bin";
            start.Environment["HOME"] = home;
            start.Environment["AWS_CONFIG_FILE"] = Path.Combine(home, "config");
            start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(home, "credentials");
            start.Environment["AWS_DEFAULT_REGION"] = "eu-west-1";
            start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
            start.Environment["AWS_PAGER"] = "";
            start.Environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = credentialsUrl.AbsoluteUri;
            start.Environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token;

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return (process.ExitCode, (await stdout) + (await stderr));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
