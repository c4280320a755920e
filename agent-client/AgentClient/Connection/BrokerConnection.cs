using Broker.Protocol.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentClient.Connection;

/// <summary>A channel to the broker that attaches the bearer token to every call.</summary>
internal sealed class BrokerConnection : IDisposable
{
    /// <summary>
    /// The TLS settings of this process's connections (CA file, client certificate), set once when the
    /// command line is resolved: a process runs one command, and every command opens its connection here.
    /// </summary>
    public static ClientTls Tls { get; set; } = ClientTls.Default;

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
        // The settings were checked when the command line was resolved; a handler is only needed for a CA file or a client certificate.
        var (handler, _) = Tls.CreateHandler();
        var channel = GrpcChannel.ForAddress(broker, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(broker.Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = broker.Scheme != Uri.UriSchemeHttps,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            HttpHandler = handler,
            DisposeHttpClient = true,
        });
        return new BrokerConnection(channel);
    }

    public void Dispose() => Channel.Dispose();
}
