using Broker.Identity.Dev;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Identity.Tests.Tokens;

[Collection(OidcProviders.Name)]
public sealed class TrustedIssuersTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    [Fact]
    public async Task One_validator_accepts_tokens_of_every_trusted_issuer_and_names_the_issuer()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("dev-issuer-").FullName;
        try
        {
            var dev = DevIssuer.LoadOrCreate(dataDirectory, Time);
            var (validator, _) = NewValidator(
                TrustedSettings,
                new IssuerSettings { Issuer = Providers.Untrusted.Issuer, Audience = Audience, RequireHttps = false },
                dev.Settings);

            var first = await Validate(validator, await TokenAsync());
            var second = await Validate(validator, await Providers.Untrusted.GetAccessTokenAsync(OidcClient.ReviewAgent.ClientId, Audience).WaitAsync(Timeout));
            var third = await Validate(validator, dev.Mint("human", ["ops"], TimeSpan.FromMinutes(5)));

            first.Caller!.Identity.Issuer.Should().Be(Trusted.Issuer);
            second.Caller!.Identity.Issuer.Should().Be(Providers.Untrusted.Issuer);
            second.Caller.Identity.Subject.Should().Be("review-agent");
            third.Caller!.Identity.Issuer.Should().Be(DevIssuer.IssuerName);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Required_claim_values_are_enforced()
    {
        var (validator, _) = NewValidator(TrustedSettings with
        {
            RequiredClaims = new Dictionary<string, IReadOnlyList<string>> { ["repository"] = ["acme/widgets"], ["groups"] = [] },
        });

        var ci = await Validate(validator, await TokenAsync());
        var review = await Validate(validator, await TokenAsync(client: OidcClient.ReviewAgent));

        ci.IsSuccess.Should().BeTrue(ci.ToString());
        review.IsSuccess.Should().BeFalse();
        review.Failure.Should().Be(TokenFailureKind.MissingRequiredClaim);
        review.Reason.Should().Contain("repository");
    }

    [Fact]
    public async Task Unreachable_discovery_is_a_failure_value_and_is_not_retried_on_every_token()
    {
        var (validator, backchannel) = NewValidator(new IssuerSettings
        {
            Issuer = "http://127.0.0.1:9",
            Audience = Audience,
            RequireHttps = false,
        });
        var token = await Trusted.SignAsync([], ValidPayload("http://127.0.0.1:9")).WaitAsync(Timeout);

        var first = await Validate(validator, token);
        var second = await Validate(validator, token);

        first.Failure.Should().Be(TokenFailureKind.KeysUnavailable);
        second.Failure.Should().Be(TokenFailureKind.KeysUnavailable);
        backchannel.Total.Should().Be(1);
    }

    [Fact]
    public void Discovery_over_http_is_rejected_when_https_is_required()
    {
        var build = () => new TokenValidator([TrustedSettings with { RequireHttps = true }], Time, null, NullLogger<TokenValidator>.Instance);

        build.Should().Throw<ArgumentException>().WithMessage("*not https*");
    }

    [Theory]
    [InlineData("HS256")]
    [InlineData("none")]
    [InlineData("RS512")]
    public void Configuring_an_algorithm_outside_the_allowlist_is_rejected(string algorithm)
    {
        var build = () => new TokenValidator([TrustedSettings with { Algorithms = [algorithm] }], Time, null, NullLogger<TokenValidator>.Instance);

        build.Should().Throw<ArgumentException>().WithMessage($"*{algorithm}*");
    }

    [Fact]
    public void Clock_skew_above_sixty_seconds_is_rejected()
    {
        var build = () => new TokenValidator([TrustedSettings with { ClockSkew = TimeSpan.FromSeconds(61) }], Time, null, NullLogger<TokenValidator>.Instance);

        build.Should().Throw<ArgumentException>().WithMessage("*clock skew*");
    }

    [Fact]
    public void The_same_issuer_twice_is_rejected()
    {
        var build = () => new TokenValidator([TrustedSettings, TrustedSettings], Time, null, NullLogger<TokenValidator>.Instance);

        build.Should().Throw<ArgumentException>().WithMessage("*twice*");
    }
}
