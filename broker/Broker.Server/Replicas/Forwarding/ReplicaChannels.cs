using System.Collections.Concurrent;
using Grpc.Net.Client;

namespace Broker.Server.Replicas.Forwarding;

/// <summary>
/// One gRPC channel per replica address, kept for the life of the broker: forwarded calls to one holder share its
/// HTTP/2 connections. A holder that does not answer a connection within <see cref="ConnectTimeout"/> is unreachable;
/// keep-alive pings find a connection whose holder died without closing it, so a forwarded attach does not hang on it.
/// </summary>
internal sealed class ReplicaChannels : IDisposable
{
    /// <summary>How long a connection to a holder may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);

    /// <summary>The channel to <paramref name="address"/> (a replica's advertised URL).</summary>
    public GrpcChannel For(string address) => _channels.GetOrAdd(address, static a => GrpcChannel.ForAddress(a, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = KeepAlive,
            KeepAlivePingTimeout = KeepAlive,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        },
        DisposeHttpClient = true,
        // What the holder sends, this replica passes on as it is: no smaller limit than the holder's own.
        MaxReceiveMessageSize = null,
    }));

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
    }
}
