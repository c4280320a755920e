using Broker.Identity.Dev;
using Broker.Identity.Tokens;
using Broker.Policy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Identity.Tests.Tokens;

public sealed class ValidatedTokenCacheTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("token-cache-").FullName;
    private readonly DevIssuer _issuer;
    private readonly TokenValidator _validator;

    public ValidatedTokenCacheTests()
    {
        _issuer = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        _validator = new TokenValidator([_issuer.Settings], _time, null, NullLogger<TokenValidator>.Instance);
    }

    public void Dispose()
    {
        _validator.Dispose();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private Task<TokenValidationOutcome> Validate(string token) => _validator.ValidateAsync(token, CancellationToken.None).WaitAsync(Timeout);

    [Fact]
    public async Task A_token_validated_before_is_still_refused_once_it_expires()
    {
        var token = _issuer.Mint("agent", [], TimeSpan.FromMinutes(2));
        (await Validate(token)).IsSuccess.Should().BeTrue();
        (await Validate(token)).IsSuccess.Should().BeTrue();

        _time.Advance(TimeSpan.FromMinutes(2) + _issuer.Settings.ClockSkew + TimeSpan.FromSeconds(1));

        var outcome = await Validate(token);
        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().Be(TokenFailureKind.Expired);
    }

    [Fact]
    public async Task A_validated_token_does_not_vouch_for_an_altered_copy()
    {
        var token = _issuer.Mint("agent", ["ops"], TimeSpan.FromMinutes(5));
        (await Validate(token)).IsSuccess.Should().BeTrue();

        var lastDot = token.LastIndexOf('.');
        var signature = token[(lastDot + 1)..].ToCharArray();
        signature[5] = signature[5] == 'A' ? 'B' : 'A';
        var forged = token[..(lastDot + 1)] + new string(signature);
        var payloadChanged = token.Replace(token.Split('.')[1], token.Split('.')[1] + "A", StringComparison.Ordinal);

        (await Validate(forged)).IsSuccess.Should().BeFalse();
        (await Validate(payloadChanged)).IsSuccess.Should().BeFalse();
        (await Validate(token + " ")).IsSuccess.Should().BeFalse();
        (await Validate(token)).Caller!.Identity.Subject.Should().Be("agent");
    }

    [Fact]
    public void An_entry_lives_until_the_token_expires_or_the_maximum_age_whichever_is_first()
    {
        var cache = new ValidatedTokenCache(_time);
        var now = _time.GetUtcNow();
        cache.Add("long-lived", new AuthenticatedCaller(new CallerIdentity("iss", "a", new Dictionary<string, IReadOnlyList<string>>()), now.AddHours(1)), TimeSpan.Zero);
        cache.Add("short-lived", new AuthenticatedCaller(new CallerIdentity("iss", "b", new Dictionary<string, IReadOnlyList<string>>()), now.AddSeconds(10)), TimeSpan.FromSeconds(5));
        cache.Add("already-expired", new AuthenticatedCaller(new CallerIdentity("iss", "c", new Dictionary<string, IReadOnlyList<string>>()), now.AddSeconds(-10)), TimeSpan.FromSeconds(5));

        cache.TryGet("long-lived", out _).Should().BeTrue();
        cache.TryGet("short-lived", out var shortLived).Should().BeTrue();
        shortLived.Identity.Subject.Should().Be("b");
        cache.TryGet("already-expired", out _).Should().BeFalse();
        cache.TryGet("never-added", out _).Should().BeFalse();

        _time.Advance(TimeSpan.FromSeconds(15));
        cache.TryGet("short-lived", out _).Should().BeFalse("its expiry plus the clock skew has passed");
        cache.TryGet("long-lived", out _).Should().BeTrue();

        _time.Advance(ValidatedTokenCache.MaxAge);
        cache.TryGet("long-lived", out _).Should().BeFalse("a cached validation is redone after the maximum age");
    }
}
