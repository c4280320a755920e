using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Broker.Identity.Tokens;
using Microsoft.Extensions.Logging;

namespace Broker.Identity.Tests.Tokens;

[Collection(OidcProviders.Name)]
public sealed class TokenLoggingTests(OidcProvidersFixture providers) : TokenTestBase(providers)
{
    [Fact]
    public async Task Nothing_of_a_token_reaches_the_log()
    {
        var logger = new CollectingLogger();
        using var validator = new TokenValidator([TrustedSettings], Time, null, logger);
        var valid = await TokenAsync();
        var forgedKid = await Trusted.SignAsync(new JsonObject { ["kid"] = "forged-kid-value" }, ValidPayload()).WaitAsync(Timeout);
        var parts = valid.Split('.');
        var tokens = new[]
        {
            valid,
            forgedKid,
            await TokenAsync(audience: "https://elsewhere.test"),
            $"{parts[0]}.{parts[1]}.{parts[2][..^8]}",
            $"{Segment("""{"alg":"none"}""")}.{parts[1]}.",
            $"{Segment("""{"alg":"HS256-secret-looking"}""")}.{parts[1]}.{parts[2]}",
        };

        foreach (var token in tokens)
        {
            await validator.ValidateAsync(token, CancellationToken.None).WaitAsync(Timeout);
        }

        logger.Messages.Should().NotBeEmpty();
        foreach (var message in logger.Messages)
        {
            message.Should().NotContain(parts[1]).And.NotContain(parts[2][..20]).And.NotContain("forged-kid-value").And.NotContain("HS256-secret-looking");
            message.Should().NotContain("acme/widgets", "claims are token contents too");
        }
    }

    private sealed class CollectingLogger : ILogger<TokenValidator>
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception) + exception);
    }
}
