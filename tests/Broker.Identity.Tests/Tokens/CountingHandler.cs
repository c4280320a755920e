using System.Collections.Concurrent;

namespace Broker.Identity.Tests.Tokens;

/// <summary>The validator's real backchannel, counting requests by path.</summary>
public sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    public int Total => _counts.Values.Sum();

    public int Jwks => Count("/jwks");

    public int Count(string path) => _counts.GetValueOrDefault(path);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        _counts.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
        return base.SendAsync(request, cancellationToken);
    }
}
