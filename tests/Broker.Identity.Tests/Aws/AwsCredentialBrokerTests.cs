using System.Net;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Broker.Identity.Aws;
using Broker.Identity.Tokens;

namespace Broker.Identity.Tests.Aws;

public sealed class AwsCredentialBrokerTests : StsTestBase
{
    [Fact]
    public async Task AssumeRole_carries_session_name_source_identity_tags_policy_and_duration()
    {
        var broker = NewBroker();
        var policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}""";
        var role = Role with
        {
            SessionPolicy = policy,
            Duration = TimeSpan.FromMinutes(20),
            Tags = new Dictionary<string, string> { ["team"] = "platform" },
        };

        var outcome = await broker.GetAsync(Agent, "deployer", role, "sess-42", CancellationToken.None).WaitAsync(Timeout);

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
        var call = Sts.AssumeRoleCalls.Should().ContainSingle().Subject;
        call.CallerAccessKeyId.Should().Be(Sts.BaseCredentials.AccessKeyId);
        call.RoleArn.Should().Be(RoleArn);
        call.RoleSessionName.Should().Be("ci-agent");
        call.SourceIdentity.Should().Be("ci-agent");
        call.Tags.Should().Equal(new Dictionary<string, string>
        {
            ["team"] = "platform",
            ["agent"] = "ci-agent",
            ["issuer"] = "https://idp.test",
            ["session"] = "sess-42",
            ["role"] = "deployer",
        });
        call.Policy.Should().Be(policy);
        call.DurationSeconds.Should().Be(1200);
        outcome.Credentials!.AccessKeyId.Should().Be(call.Issued.AccessKeyId);
        outcome.Credentials.SecretAccessKey.Should().Be(call.Issued.SecretAccessKey);
        outcome.Credentials.SessionToken.Should().Be(call.Issued.SessionToken);
        outcome.Credentials.Expiration.Should().BeCloseTo(Time.GetUtcNow().AddMinutes(20), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Issued_credentials_sign_requests_the_emulator_verifies()
    {
        var broker = NewBroker();
        var credentials = (await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout)).Credentials!;

        var identity = await StsClient(ToAws(credentials)).GetCallerIdentityAsync(new GetCallerIdentityRequest()).WaitAsync(Timeout);

        identity.Arn.Should().Be("arn:aws:sts::123456789012:assumed-role/agent-deployer/ci-agent");
        Sts.CallerIdentityCalls.Should().ContainSingle().Which.AccessKeyId.Should().Be(credentials.AccessKeyId);
        Sts.Rejections.Should().BeEmpty();
    }

    [Fact]
    public async Task Request_signed_with_a_wrong_secret_is_rejected_with_SignatureDoesNotMatch()
    {
        var secret = Sts.BaseCredentials.SecretAccessKey;
        var wrong = new BasicAWSCredentials(Sts.BaseCredentials.AccessKeyId, secret[..^1] + (secret[^1] == 'X' ? 'Y' : 'X'));

        var call = () => StsClient(wrong).GetCallerIdentityAsync(new GetCallerIdentityRequest()).WaitAsync(Timeout);

        var thrown = await call.Should().ThrowAsync<AmazonSecurityTokenServiceException>();
        thrown.Which.ErrorCode.Should().Be("SignatureDoesNotMatch");
        thrown.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        Sts.CallerIdentityCalls.Should().BeEmpty();
    }

    [Fact]
    public async Task Temporary_key_with_a_wrong_session_token_is_rejected()
    {
        var broker = NewBroker();
        var credentials = (await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout)).Credentials!;
        var forged = new SessionAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, "forged-token");

        var call = () => StsClient(forged).GetCallerIdentityAsync(new GetCallerIdentityRequest()).WaitAsync(Timeout);

        (await call.Should().ThrowAsync<AmazonSecurityTokenServiceException>()).Which.ErrorCode.Should().Be("InvalidClientTokenId");
    }

    [Fact]
    public async Task Temporary_credentials_stop_working_when_they_expire()
    {
        var broker = NewBroker();
        var credentials = (await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout)).Credentials!;
        Time.Advance(TimeSpan.FromMinutes(15));

        var call = () => StsClient(ToAws(credentials)).GetCallerIdentityAsync(new GetCallerIdentityRequest()).WaitAsync(Timeout);

        (await call.Should().ThrowAsync<AmazonSecurityTokenServiceException>()).Which.ErrorCode.Should().Be("ExpiredToken");
    }

    [Fact]
    public async Task Broker_with_a_wrong_base_secret_gets_a_failure_naming_the_role_and_code()
    {
        var broker = NewBroker(new BasicAWSCredentials(Sts.BaseCredentials.AccessKeyId, "wrong-secret-wrong-secret-wrong-secret-00"));

        var outcome = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        outcome.IsSuccess.Should().BeFalse();
        outcome.ErrorCode.Should().Be("SignatureDoesNotMatch");
        outcome.Error.Should().Contain(RoleArn).And.Contain("SignatureDoesNotMatch");
        Sts.Rejections.Should().ContainSingle().Which.ErrorCode.Should().Be("SignatureDoesNotMatch");
    }

    [Fact]
    public async Task Denied_role_becomes_a_failure_value_naming_the_role_and_code()
    {
        var broker = NewBroker();
        Sts.DenyRole(RoleArn);

        var outcome = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        outcome.IsSuccess.Should().BeFalse();
        outcome.ErrorCode.Should().Be("AccessDenied");
        outcome.Error.Should().Contain(RoleArn).And.Contain("AccessDenied");
    }

    [Fact]
    public async Task Unreachable_sts_becomes_a_failure_value()
    {
        var broker = NewBroker(serviceUrl: new Uri("http://127.0.0.1:9/"));

        var outcome = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        outcome.IsSuccess.Should().BeFalse(outcome.ToString());
        outcome.ErrorCode.Should().Be("StsUnreachable", outcome.Error);
        outcome.Error.Should().Contain(RoleArn);
    }

    [Fact]
    public async Task Invalid_role_settings_fail_without_calling_sts()
    {
        var broker = NewBroker();

        var outcome = await broker.GetAsync(Agent, "deployer", Role with { SessionPolicy = "{not json" }, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        outcome.ErrorCode.Should().Be("InvalidRoleSettings");
        Sts.AssumeRoleCalls.Should().BeEmpty();
        Sts.Rejections.Should().BeEmpty();
    }

    [Fact]
    public async Task Credentials_are_cached_per_session_and_refreshed_before_expiry()
    {
        var broker = NewBroker();
        var first = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        Time.Advance(TimeSpan.FromMinutes(11) + TimeSpan.FromSeconds(59));
        var cached = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromSeconds(1));
        var refreshed = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        cached.Credentials.Should().Be(first.Credentials, "a 15-minute credential is kept for 80 % of its life");
        refreshed.Credentials!.AccessKeyId.Should().NotBe(first.Credentials!.AccessKeyId);
        refreshed.Credentials.Expiration.Should().BeAfter(first.Credentials.Expiration);
        Sts.AssumeRoleCalls.Should().HaveCount(2);
    }

    [Fact]
    public async Task Long_credentials_are_refreshed_five_minutes_before_expiry()
    {
        var broker = NewBroker();
        var role = Role with { Duration = TimeSpan.FromHours(1) };
        await broker.GetAsync(Agent, "deployer", role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        Time.Advance(TimeSpan.FromMinutes(54));
        await broker.GetAsync(Agent, "deployer", role, "sess-1", CancellationToken.None).WaitAsync(Timeout);
        Sts.AssumeRoleCalls.Should().HaveCount(1);

        Time.Advance(TimeSpan.FromMinutes(1));
        await broker.GetAsync(Agent, "deployer", role, "sess-1", CancellationToken.None).WaitAsync(Timeout);
        Sts.AssumeRoleCalls.Should().HaveCount(2);
    }

    [Fact]
    public async Task Two_sessions_of_the_same_agent_and_role_get_separate_credentials_tagged_with_their_session()
    {
        var broker = NewBroker();

        var a = await broker.GetAsync(Agent, "deployer", Role, "sess-a", CancellationToken.None).WaitAsync(Timeout);
        var b = await broker.GetAsync(Agent, "deployer", Role, "sess-b", CancellationToken.None).WaitAsync(Timeout);

        a.Credentials!.AccessKeyId.Should().NotBe(b.Credentials!.AccessKeyId);
        Sts.AssumeRoleCalls.Select(c => c.Tags["session"]).Should().Equal("sess-a", "sess-b");
    }

    [Fact]
    public async Task Concurrent_requests_of_one_session_share_one_AssumeRole()
    {
        var broker = NewBroker();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None)))).WaitAsync(Timeout);

        outcomes.Select(o => o.Credentials!.AccessKeyId).Distinct().Should().ContainSingle();
        Sts.AssumeRoleCalls.Should().ContainSingle();
    }

    [Fact]
    public async Task Changed_role_settings_get_new_credentials()
    {
        var broker = NewBroker();

        await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);
        await broker.GetAsync(Agent, "deployer", Role with { SessionPolicy = """{"Version":"2012-10-17","Statement":[]}""" }, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        Sts.AssumeRoleCalls.Should().HaveCount(2);
        Sts.AssumeRoleCalls[1].Policy.Should().NotBeNull();
    }

    [Fact]
    public async Task Failed_refresh_keeps_serving_still_valid_credentials_then_fails()
    {
        var broker = NewBroker();
        var first = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);
        Sts.DenyRole(RoleArn);

        Time.Advance(TimeSpan.FromMinutes(13));
        var during = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);
        Time.Advance(TimeSpan.FromMinutes(2));
        var after = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        during.Credentials.Should().Be(first.Credentials);
        after.IsSuccess.Should().BeFalse();
        after.ErrorCode.Should().Be("AccessDenied");
    }

    [Fact]
    public async Task Ended_session_forgets_its_credentials()
    {
        var broker = NewBroker();
        var first = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        broker.EndSession("sess-1");
        var second = await broker.GetAsync(Agent, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        second.Credentials!.AccessKeyId.Should().NotBe(first.Credentials!.AccessKeyId);
    }

    [Theory]
    [InlineData("repo:acme/widgets:ref:refs/heads/main")]
    [InlineData("system:serviceaccount:agents:deployer")]
    [InlineData("x")]
    [InlineData("agent with spaces and ünïcödé")]
    [InlineData("a-very-long-subject-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789")]
    [InlineData("aws:reserved-looking")]
    public async Task Awkward_subjects_become_names_sts_accepts(string subject)
    {
        var broker = NewBroker();
        var identity = Agent with { Subject = subject };

        var outcome = await broker.GetAsync(identity, "deployer", Role, "sess-1", CancellationToken.None).WaitAsync(Timeout);

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
        var call = Sts.AssumeRoleCalls.Should().ContainSingle().Subject;
        call.RoleSessionName.Should().MatchRegex(@"^[A-Za-z0-9_+=,.@-]{2,64}$");
        call.SourceIdentity.Should().MatchRegex(@"^[A-Za-z0-9_+=,.@-]{2,64}$");
        call.RoleSessionName.Should().Be(AwsCredentialBroker.RoleSessionNameFor(identity));
        call.Tags["agent"].Should().NotBeEmpty();
    }

    [Fact]
    public void Names_are_deterministic_recognisable_and_distinct_across_issuers()
    {
        var github = Agent with { Issuer = "https://token.actions.githubusercontent.com", Subject = "repo:acme/widgets:ref:refs/heads/main" };
        var other = github with { Issuer = "https://other.test" };

        var name = AwsCredentialBroker.RoleSessionNameFor(github);

        name.Should().StartWith("repo-acme-widgets-ref-refs-heads-main-");
        AwsCredentialBroker.RoleSessionNameFor(github with { }).Should().Be(name);
        AwsCredentialBroker.RoleSessionNameFor(other).Should().NotBe(name);
        AwsCredentialBroker.RoleSessionNameFor(Agent).Should().Be("ci-agent");
    }

    [Fact]
    public void Credentials_never_print_their_secrets()
    {
        var credentials = new SessionCredentials("ASIAEXAMPLE", "secret-value", "token-value", DateTimeOffset.UnixEpoch);

        credentials.ToString().Should().Contain("ASIAEXAMPLE").And.NotContain("secret-value").And.NotContain("token-value");
        CredentialOutcome.Success(credentials).ToString().Should().NotContain("secret-value");
        credentials.SecretValues.Should().Equal("ASIAEXAMPLE", "secret-value", "token-value");
    }

    [Theory]
    [InlineData("arn:aws:iam::123:role/x", "role ARN")]
    [InlineData("arn:aws:iam::123456789012:user/x", "role ARN")]
    public void Invalid_role_arns_are_reported(string arn, string message)
    {
        (Role with { RoleArn = arn }).Validate().Should().ContainSingle().Which.Should().Contain(message);
    }

    [Fact]
    public void Role_settings_cannot_use_the_brokers_tag_keys_or_out_of_range_durations()
    {
        var problems = (Role with
        {
            Duration = TimeSpan.FromMinutes(5),
            Tags = new Dictionary<string, string> { ["Session"] = "spoofed", ["aws:x"] = "y" },
        }).Validate();

        problems.Should().HaveCount(3);
    }
}
