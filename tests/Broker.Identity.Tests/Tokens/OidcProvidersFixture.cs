using Broker.TestSupport.Oidc;

namespace Broker.Identity.Tests.Tokens;

/// <summary>The trusted provider and an untrusted one, started once for every token test.</summary>
public sealed class OidcProvidersFixture : IAsyncLifetime
{
    public OidcProviderFixture Trusted { get; private set; } = null!;

    public OidcProviderFixture Untrusted { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var started = await Task.WhenAll(OidcProviderFixture.StartAsync(), OidcProviderFixture.StartAsync()).WaitAsync(TimeSpan.FromSeconds(90));
        (Trusted, Untrusted) = (started[0], started[1]);
    }

    public async Task DisposeAsync()
    {
        await Trusted.DisposeAsync();
        await Untrusted.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OidcProviders : ICollectionFixture<OidcProvidersFixture>
{
    public const string Name = "oidc providers";
}
