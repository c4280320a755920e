using System.Text.Json;
using Broker.Identity.Aws;

namespace Broker.Identity.Tests.Aws;

public sealed class SessionCredentialSourceTests : StsTestBase
{
    [Fact]
    public void Authorization_token_is_long_random_and_accepted_only_exactly()
    {
        using var source = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-1", _ => { });
        using var other = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-2", _ => { });

        source.AuthorizationToken.Length.Should().BeGreaterThanOrEqualTo(43);
        source.AuthorizationToken.Should().NotBe(other.AuthorizationToken);
        source.IsAuthorized(source.AuthorizationToken).Should().BeTrue();
        source.IsAuthorized(other.AuthorizationToken).Should().BeFalse();
        source.IsAuthorized(null).Should().BeFalse();
        source.IsAuthorized("").Should().BeFalse();
        source.IsAuthorized(source.AuthorizationToken[..^1]).Should().BeFalse();
        source.IsAuthorized(source.AuthorizationToken + "x").Should().BeFalse();
        source.IsAuthorized("Bearer " + source.AuthorizationToken).Should().BeFalse();
        source.IsAuthorized(new string('a', 10_000)).Should().BeFalse();
    }

    [Fact]
    public async Task Every_new_credential_is_announced_once_before_it_is_returned()
    {
        var announced = new List<SessionCredentials>();
        using var source = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-1", announced.Add);

        var first = await source.GetCurrentAsync(CancellationToken.None).WaitAsync(Timeout);
        announced.Should().ContainSingle().Which.Should().Be(first.Credentials);
        await source.GetCurrentAsync(CancellationToken.None).WaitAsync(Timeout);
        announced.Should().ContainSingle();

        Time.Advance(TimeSpan.FromMinutes(12));
        var second = await source.GetCurrentAsync(CancellationToken.None).WaitAsync(Timeout);

        second.Credentials!.AccessKeyId.Should().NotBe(first.Credentials!.AccessKeyId);
        announced.Should().Equal(first.Credentials, second.Credentials);
    }

    [Fact]
    public async Task Disposed_source_refuses_its_token_and_serves_nothing()
    {
        var source = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-1", _ => { });
        var token = source.AuthorizationToken;
        (await source.GetCurrentAsync(CancellationToken.None).WaitAsync(Timeout)).IsSuccess.Should().BeTrue();

        source.Dispose();

        source.IsAuthorized(token).Should().BeFalse();
        var after = await source.GetCurrentAsync(CancellationToken.None).WaitAsync(Timeout);
        after.IsSuccess.Should().BeFalse();
        after.ErrorCode.Should().Be("SessionEnded");
    }

    [Fact]
    public async Task Sts_failure_reaches_the_source_as_a_failure_value()
    {
        Sts.DenyRole(RoleArn);
        var announced = 0;
        using var source = NewBroker().CreateSessionSource(Agent, "deployer", Role, "sess-1", _ => announced++);

        var outcome = await source.GetCurrentAsync(CancellationToken.None).WaitAsync(Timeout);

        outcome.IsSuccess.Should().BeFalse();
        outcome.Error.Should().Contain(RoleArn).And.Contain("AccessDenied");
        announced.Should().Be(0);
    }

    [Fact]
    public void Container_credentials_json_has_the_shape_the_sdks_read()
    {
        var credentials = new SessionCredentials("ASIAEXAMPLE", "se+cr/et", "to\"ken", new DateTimeOffset(2026, 11, 26, 9, 30, 15, TimeSpan.FromHours(2)));

        using var json = JsonDocument.Parse(ContainerCredentialsJson.Serialize(credentials));

        json.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("AccessKeyId", "SecretAccessKey", "Token", "Expiration");
        json.RootElement.GetProperty("AccessKeyId").GetString().Should().Be("ASIAEXAMPLE");
        json.RootElement.GetProperty("SecretAccessKey").GetString().Should().Be("se+cr/et");
        json.RootElement.GetProperty("Token").GetString().Should().Be("to\"ken");
        json.RootElement.GetProperty("Expiration").GetString().Should().Be("2026-11-26T07:30:15Z");
    }
}
