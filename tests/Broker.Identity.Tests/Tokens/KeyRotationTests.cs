using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

/// <summary>Each test rotates its own provider, so the shared ones keep their keys.</summary>
public sealed class KeyRotationTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CountingHandler _backchannel = new();
    private OidcProviderFixture _provider = null!;
    private TokenValidator _validator = null!;

    public async Task InitializeAsync()
    {
        _provider = await OidcProviderFixture.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        _validator = new TokenValidator(
            [new IssuerSettings { Issuer = _provider.Issuer, Audience = "urn:broker", RequireHttps = false }],
            _time,
            _backchannel,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<TokenValidator>.Instance);
    }

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    public void Dispose()
    {
        _validator.Dispose();
        _backchannel.Dispose();
    }

    [Fact]
    public async Task Tokens_signed_with_a_rotated_key_validate_without_a_new_validator()
    {
        var before = await Token();
        (await Validate(before)).IsSuccess.Should().BeTrue();

        var newKid = await _provider.RotateKeysAsync().WaitAsync(Timeout);
        _time.Advance(TimeSpan.FromSeconds(30));
        var after = await Token();

        Kid(after).Should().Be(newKid).And.NotBe(Kid(before));
        var outcome = await Validate(after);
        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
        (await Validate(before)).IsSuccess.Should().BeTrue("the previous key is still published");
        _backchannel.Jwks.Should().Be(2);
    }

    [Fact]
    public async Task Unknown_kids_trigger_at_most_one_jwks_fetch_per_interval()
    {
        (await Validate(await Token())).IsSuccess.Should().BeTrue();
        _backchannel.Jwks.Should().Be(1);

        for (var i = 0; i < 20; i++)
        {
            var forged = await _provider.SignAsync(new JsonObject { ["kid"] = $"made-up-{i}" }, Payload()).WaitAsync(Timeout);
            (await Validate(forged)).Failure.Should().Be(TokenFailureKind.UnknownKey);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        _backchannel.Jwks.Should().Be(1, "20 unknown kids within 20 s of the last fetch must not refetch");

        _time.Advance(TimeSpan.FromSeconds(10));
        var late = await _provider.SignAsync(new JsonObject { ["kid"] = "made-up-late" }, Payload()).WaitAsync(Timeout);
        (await Validate(late)).Failure.Should().Be(TokenFailureKind.UnknownKey);
        _backchannel.Jwks.Should().Be(2);
    }

    [Fact]
    public async Task New_key_is_picked_up_once_the_rate_limit_allows_a_refresh()
    {
        (await Validate(await Token())).IsSuccess.Should().BeTrue();
        await _provider.RotateKeysAsync().WaitAsync(Timeout);
        var rotated = await Token();

        (await Validate(rotated)).Failure.Should().Be(TokenFailureKind.UnknownKey, "the refresh just happened, so it is rate-limited");

        _time.Advance(TimeSpan.FromSeconds(30));
        (await Validate(rotated)).IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task Concurrent_tokens_with_a_new_kid_share_one_refresh()
    {
        (await Validate(await Token())).IsSuccess.Should().BeTrue();
        await _provider.RotateKeysAsync().WaitAsync(Timeout);
        _time.Advance(TimeSpan.FromSeconds(31));
        var rotated = await Token();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Validate(rotated)))).WaitAsync(Timeout);

        outcomes.Should().OnlyContain(o => o.IsSuccess);
        _backchannel.Jwks.Should().Be(2);
    }

    [Fact]
    public async Task Keys_are_refetched_after_the_refresh_interval_without_an_unknown_kid()
    {
        (await Validate(await Token())).IsSuccess.Should().BeTrue();
        _time.Advance(TimeSpan.FromHours(1));
        var token = await _provider.SignAsync([], Payload()).WaitAsync(Timeout);

        (await Validate(token)).IsSuccess.Should().BeTrue();
        _backchannel.Jwks.Should().Be(2);
    }

    private Task<string> Token() => _provider.GetAccessTokenAsync(OidcClient.CiAgent.ClientId, "urn:broker").WaitAsync(Timeout);

    private Task<TokenValidationOutcome> Validate(string token) => _validator.ValidateAsync(token, CancellationToken.None).WaitAsync(Timeout);

    private JsonObject Payload()
    {
        // The provider signs with the wall clock's idea of now; the validator's fake clock has moved ahead.
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        return new JsonObject { ["iss"] = _provider.Issuer, ["sub"] = "ci-agent", ["aud"] = "urn:broker", ["iat"] = now, ["exp"] = now + 300 };
    }

    private static string Kid(string token)
    {
        var header = token[..token.IndexOf('.', StringComparison.Ordinal)].Replace('-', '+').Replace('_', '/');
        header += new string('=', (4 - (header.Length % 4)) % 4);
        return JsonNode.Parse(Convert.FromBase64String(header))!["kid"]!.GetValue<string>();
    }
}
