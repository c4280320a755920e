using Broker.Integration.Tests.Fixtures;
using Broker.Server.Configuration;
using Broker.TestSupport.Oidc;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Integration.Tests.Identity;

/// <summary>
/// The broker trusting a real OIDC provider (npm oidc-provider) through its discovery document,
/// with a second provider it does not trust. The broker runs on a fake clock so that the JWKS
/// refresh rate limit can be passed without waiting.
/// </summary>
public sealed class OidcBrokerFixture : BrokerFixture
{
    public const string Audience = "https://broker.test";

    public OidcProviderFixture Provider { get; private set; } = null!;

    public OidcProviderFixture Untrusted { get; private set; } = null!;

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public override async Task InitializeAsync()
    {
        var started = await Task.WhenAll(OidcProviderFixture.StartAsync(), OidcProviderFixture.StartAsync()).WaitAsync(TimeSpan.FromSeconds(90));
        (Provider, Untrusted) = (started[0], started[1]);
        PolicyYaml = $$"""
            version: 1
            issuers:
              - issuer: {{Provider.Issuer}}
                audience: {{Audience}}
                required_claims: {repository: ["acme/*"]}
            targets:
              - name: local
                kind: local-shell
                shell: /bin/bash
                args: [--norc, --noprofile]
            identities:
              - issuer: {{Provider.Issuer}}
                claims: {groups: [agents], repository: [acme/widgets]}
                roles: [agent]
            roles:
              - name: agent
                targets: [local]
                terminal: raw
                rules:
                  - id: anything
                    allow: {programs: ["*"]}
            """;
        await base.InitializeAsync();
    }

    private protected override BrokerSettings Configure(BrokerSettings settings) => settings with { Time = Clock };

    public Task<string> TokenAsync(OidcClient? client = null, string audience = Audience) =>
        Provider.GetAccessTokenAsync((client ?? OidcClient.CiAgent).ClientId, audience).WaitAsync(TimeSpan.FromSeconds(30));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
        await Untrusted.DisposeAsync();
    }
}
