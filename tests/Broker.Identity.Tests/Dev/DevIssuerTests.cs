using System.Runtime.Versioning;
using Broker.Identity.Dev;
using Broker.Identity.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Identity.Tests.Dev;

public sealed class DevIssuerTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("dev-issuer-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_dataDirectory, recursive: true);

    [Fact]
    public async Task Minted_token_validates_with_subject_groups_and_expiry()
    {
        var issuer = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        using var validator = Validator(issuer.Settings);

        var token = issuer.Mint("alice", ["ops", "dev"], TimeSpan.FromMinutes(10));
        var outcome = await validator.ValidateAsync(token, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
        outcome.Caller!.Identity.Issuer.Should().Be(DevIssuer.IssuerName);
        outcome.Caller.Identity.Subject.Should().Be("alice");
        outcome.Caller.Identity.Claims["groups"].Should().Equal("ops", "dev");
        outcome.Caller.Identity.Claims["aud"].Should().Equal(DevIssuer.Audience);
        outcome.Caller.Identity.Claims.Should().ContainKeys("iat", "nbf", "jti");
        outcome.Caller.ExpiresAt.Should().Be(_time.GetUtcNow().AddMinutes(10));
    }

    [Fact]
    public async Task Minted_token_carries_an_empty_groups_array_when_there_are_no_groups()
    {
        var issuer = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        using var validator = Validator(issuer.Settings);

        var outcome = await validator.ValidateAsync(issuer.Mint("bob", [], TimeSpan.FromMinutes(1)), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
        outcome.Caller!.Identity.Claims["groups"].Should().BeEmpty();
    }

    [Fact]
    public async Task Token_from_another_dev_key_is_refused()
    {
        var trusted = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        var otherDirectory = Directory.CreateTempSubdirectory("dev-issuer-other-").FullName;
        try
        {
            var other = DevIssuer.LoadOrCreate(otherDirectory, _time);
            using var validator = Validator(trusted.Settings);

            var outcome = await validator.ValidateAsync(other.Mint("mallory", ["admin"], TimeSpan.FromMinutes(5)), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

            outcome.IsSuccess.Should().BeFalse();
            outcome.Failure.Should().Be(TokenFailureKind.UnknownKey);
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Token_is_accepted_within_clock_skew_after_expiry_and_refused_beyond_it()
    {
        var issuer = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        using var validator = Validator(issuer.Settings);
        var token = issuer.Mint("alice", [], TimeSpan.FromMinutes(5));

        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(59));
        (await validator.ValidateAsync(token, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30))).IsSuccess.Should().BeTrue();

        _time.Advance(TimeSpan.FromSeconds(2));
        var outcome = await validator.ValidateAsync(token, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        outcome.IsSuccess.Should().BeFalse();
        outcome.Failure.Should().Be(TokenFailureKind.Expired);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Key_file_is_created_owner_only_and_reused()
    {
        var first = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        var second = DevIssuer.LoadOrCreate(_dataDirectory, _time);

        var path = Path.Combine(_dataDirectory, DevIssuer.KeyFileName);
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(path).Should().StartWith("-----BEGIN PRIVATE KEY-----");
        second.KeyId.Should().Be(first.KeyId);
    }

    [Fact]
    public async Task Token_minted_by_a_reloaded_issuer_validates_against_the_first_one()
    {
        var first = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        var reloaded = DevIssuer.LoadOrCreate(_dataDirectory, _time);
        using var validator = Validator(first.Settings);

        var outcome = await validator.ValidateAsync(reloaded.Mint("alice", [], TimeSpan.FromMinutes(1)), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        outcome.IsSuccess.Should().BeTrue(outcome.ToString());
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Key_file_readable_by_others_is_refused()
    {
        DevIssuer.LoadOrCreate(_dataDirectory, _time);
        var path = Path.Combine(_dataDirectory, DevIssuer.KeyFileName);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var load = () => DevIssuer.LoadOrCreate(_dataDirectory, _time);

        load.Should().Throw<InvalidOperationException>().WithMessage("*0600*");
    }

    private TokenValidator Validator(IssuerSettings settings) =>
        new([settings], _time, backchannel: null, NullLogger<TokenValidator>.Instance);
}
