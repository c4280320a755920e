using System.Net;
using System.Text;
using Broker.Integration.Tests.Fixtures;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Broker.Integration.Tests.Identity;

/// <summary>
/// AWS credentials delivered to sessions through the broker's container-credentials endpoint,
/// used by the real Debian AWS CLI (<c>/usr/bin/aws</c>) against the STS emulator.
/// </summary>
[Collection(IdentityTestGroup.Name)]
public sealed class AwsCredentialsTests : IClassFixture<AwsBrokerFixture>
{
    private const string Aws = "/usr/bin/aws";
    private readonly AwsBrokerFixture _broker;

    public AwsCredentialsTests(AwsBrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task The_aws_cli_in_a_session_is_the_assumed_role_signed_with_the_session_credential()
    {
        var result = await RunAsync("agent-1", $"{Aws} sts get-caller-identity --endpoint-url {_broker.Sts.ServiceUrl} --region us-east-1 --output text --query Arn");

        result.Exit!.Code.Should().Be(0, result.StderrText);
        result.StdoutText.Trim().Should().Be("arn:aws:sts::123456789012:assumed-role/agent-readonly/agent-1");
        var assumed = _broker.CallsFor(result.SessionId).Should().ContainSingle().Subject;
        assumed.CallerAccessKeyId.Should().Be(_broker.Sts.BaseCredentials.AccessKeyId);
        assumed.RoleArn.Should().Be(AwsBrokerFixture.RoleArn);
        assumed.RoleSessionName.Should().Be("agent-1");
        assumed.SourceIdentity.Should().Be("agent-1");
        assumed.DurationSeconds.Should().Be(900);
        assumed.Policy.Should().Contain("sts:GetCallerIdentity");
        assumed.Tags.Should().Contain(new Dictionary<string, string> { ["agent"] = "agent-1", ["issuer"] = "broker-dev", ["session"] = result.SessionId, ["role"] = "aws-reader", ["team"] = "platform" });
        // The emulator verified the CLI's SigV4 signature with the issued secret and session token.
        _broker.Sts.CallerIdentityCalls.Should().Contain(c => c.AccessKeyId == assumed.Issued.AccessKeyId && c.Arn == assumed.Issued.Arn);
    }

    [Fact]
    public async Task Env_in_a_session_shows_the_endpoint_but_no_key_material()
    {
        var result = await RunAsync("agent-2", "env");

        result.Exit!.Code.Should().Be(0);
        var issued = _broker.CallsFor(result.SessionId).Should().ContainSingle().Subject.Issued;
        result.StdoutText.Should().MatchRegex(@"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127\.0\.0\.1:\d+/v1/credentials/[A-Za-z0-9_-]{32}\n");
        result.StdoutText.Should().Contain("AWS_CONTAINER_AUTHORIZATION_TOKEN=[MASKED:aws-container-authorization-token]");
        result.StdoutText.Should().NotContain("AWS_ACCESS_KEY_ID").And.NotContain("AWS_SECRET_ACCESS_KEY").And.NotContain("AWS_SESSION_TOKEN");
        result.StdoutText.Should().NotContain(issued.AccessKeyId).And.NotContain(issued.SecretAccessKey).And.NotContain(issued.SessionToken!);
    }

    [Fact]
    public async Task Issued_credentials_printed_in_a_session_are_masked_exactly()
    {
        var result = await RunAsync(
            "agent-3",
            $"{Aws} configure export-credentials --format env; curl -sS -H \"Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN\" --url \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"");

        result.Exit!.Code.Should().Be(0, result.StderrText);
        var issued = _broker.CallsFor(result.SessionId).Should().ContainSingle().Subject.Issued;
        var output = result.StdoutText + result.StderrText;
        output.Should().NotContain(issued.AccessKeyId).And.NotContain(issued.SecretAccessKey).And.NotContain(issued.SessionToken!);
        // Which detector names a value depends on where chunks split; that it is masked does not.
        result.StdoutText.Should().MatchRegex(@"export AWS_ACCESS_KEY_ID=\[MASKED:[a-z-]+\]\n");
        result.StdoutText.Should().MatchRegex(@"export AWS_SECRET_ACCESS_KEY=\[MASKED:[a-z-]+\]\n");
        result.StdoutText.Should().MatchRegex(@"export AWS_SESSION_TOKEN=\[MASKED:[a-z-]+\]\n");
        result.StdoutText.Should().MatchRegex(@"""AccessKeyId"":""\[MASKED:[a-z-]+\]"",""SecretAccessKey"":""\[MASKED:[a-z-]+\]"",""Token"":""\[MASKED:[a-z-]+\]""");
        result.StdoutText.Should().Contain("\"Expiration\":\"" + issued.Expiration!.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_endpoint_refuses_a_missing_or_wrong_token_and_is_gone_when_the_session_ends()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var call = _broker.Client(_broker.Token("agent-4")).Exec(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new ExecRequest
        {
            Start = new ExecStart
            {
                Target = "local",
                Script = """
                    echo "uri=$AWS_CONTAINER_CREDENTIALS_FULL_URI"
                    echo "none=$(curl -s -o /dev/null -w '%{http_code}' --url "$AWS_CONTAINER_CREDENTIALS_FULL_URI")"
                    echo "wrong=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: not-the-token' --url "$AWS_CONTAINER_CREDENTIALS_FULL_URI")"
                    echo "right=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" --url "$AWS_CONTAINER_CREDENTIALS_FULL_URI")"
                    read -r line
                    """,
            },
        }, cts.Token);
        var stdout = new StringBuilder();
        var responses = call.ResponseStream;
        while (!stdout.ToString().Contains("right=", StringComparison.Ordinal) || !stdout.ToString().EndsWith('\n'))
        {
            (await responses.MoveNext(cts.Token)).Should().BeTrue(stdout.ToString());
            if (responses.Current.FrameCase == ExecResponse.FrameOneofCase.Stdout)
            {
                stdout.Append(responses.Current.Stdout.ToStringUtf8());
            }
        }

        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        lines["none"].Should().Be("401");
        lines["wrong"].Should().Be("403");
        lines["right"].Should().Be("200");
        var uri = new Uri(lines["uri"]);
        uri.IsLoopback.Should().BeTrue();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        (await http.GetAsync(uri, cts.Token)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the session still runs");

        await call.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFromUtf8("done\n") }, cts.Token);
        await call.RequestStream.CompleteAsync();
        ExitStatus? exit = null;
        while (await responses.MoveNext(cts.Token))
        {
            if (responses.Current.FrameCase == ExecResponse.FrameOneofCase.Exit)
            {
                exit = responses.Current.Exit;
            }
        }

        exit!.Code.Should().Be(0);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("Authorization", "not-the-token");
        (await http.SendAsync(request, cts.Token)).StatusCode.Should().Be(HttpStatusCode.NotFound, "the session has ended");
    }

    [Fact]
    public async Task A_role_sts_refuses_fails_the_open_naming_the_role_and_opens_nothing()
    {
        var client = _broker.Client(_broker.Token("blocked-agent"));
        var act = () => ExecResult.RunScriptAsync(client, "echo should-not-run");

        var error = (await act.Should().ThrowAsync<RpcException>()).Which;
        error.StatusCode.Should().Be(StatusCode.FailedPrecondition);
        error.Status.Detail.Should().Contain("role 'blocked'").And.Contain(AwsBrokerFixture.BlockedRoleArn).And.Contain("AccessDenied");
        var sessions = await client.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true }, deadline: DateTime.UtcNow.AddSeconds(30));
        sessions.Sessions.Should().BeEmpty();
    }

    private async Task<ExecResult> RunAsync(string subject, string script) =>
        await ExecResult.RunScriptAsync(_broker.Client(_broker.Token(subject)), script);
}
