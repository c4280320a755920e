using Grpc.Core;
using Grpc.Net.Client;

namespace AgentClient.Connection;

/// <summary>A channel to the broker that attaches the bearer token to every call.</summary>
internal sealed class BrokerConnection : IDisposable
{
    private BrokerConnection(GrpcChannel channel)
    {
        Channel = channel;
    }

    public GrpcChannel Channel { get; }

    public static BrokerConnection Open(Uri broker, string token)
    {
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });
        var channel = GrpcChannel.ForAddress(broker, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(broker.Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = broker.Scheme != Uri.UriSchemeHttps,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        return new BrokerConnection(channel);
    }

    public void Dispose() => Channel.Dispose();
}
