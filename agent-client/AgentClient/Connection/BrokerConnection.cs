using AgentClient.Mux;
using Broker.Protocol.Transport;
using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentClient.Connection;

/// <summary>
/// The way to the broker for one command: a gRPC channel that attaches the bearer token to every call, and
/// for <c>exec</c> a leaner HTTP/2 path (<see cref="ExecCall"/>). Each is made on first use, so a command
/// pays only for the one it takes.
/// </summary>
internal sealed class BrokerConnection : IDisposable
{
    private readonly Uri _broker;
    private readonly Func<string> _token;
    private GrpcChannel? _channel;
    private HttpMessageInvoker? _http;

    private BrokerConnection(Uri broker, Func<string> token)
    {
        _broker = broker;
        _token = token;
    }

    /// <summary>
    /// The TLS settings of this process's connections (CA file, client certificate), set once when the
    /// command line is resolved: a process runs one command, and every command opens its connection here.
    /// </summary>
    public static ClientTls Tls { get; set; } = ClientTls.Default;

    /// <summary>The gRPC channel (made on first use).</summary>
    public GrpcChannel Channel => _channel ??= CreateChannel(_broker, _token);

    public static BrokerConnection Open(Uri broker, string token) => new(broker, () => token);

    /// <summary>
    /// A connection whose calls each carry the token <paramref name="token"/> gives at that moment: a long-lived
    /// command (<c>mcp</c>) picks up a renewed token file without reconnecting.
    /// </summary>
    public static BrokerConnection Open(Uri broker, Func<string> token) => new(broker, token);

    /// <summary>
    /// Starts an <c>Exec</c> call with <paramref name="start"/> as its first frame, on an HTTP/2 connection of its own
    /// (made on first use), or inside a multiplexer master on the master's shared one (with this command's token).
    /// </summary>
    public Task<ExecCall> StartExecAsync(ExecRequest start, CancellationToken cancellationToken) =>
        ExecCall.StartAsync(RequestScope.Current?.Http ?? (_http ??= new HttpMessageInvoker(Tls.CreateHandler().Handler ?? new SocketsHttpHandler(), disposeHandler: true)), _broker, _token(), start, cancellationToken);

    public void Dispose()
    {
        _channel?.Dispose();
        _http?.Dispose();
    }

    private static GrpcChannel CreateChannel(Uri broker, Func<string> token)
    {
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token());
            return Task.CompletedTask;
        });
        // The settings were checked when the command line was resolved; a handler is only needed for a CA file or a client certificate.
        var (handler, _) = Tls.CreateHandler();
        return GrpcChannel.ForAddress(broker, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(broker.Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = broker.Scheme != Uri.UriSchemeHttps,
            MaxReceiveMessageSize = ExecCall.MaxReceiveMessageSize,
            HttpHandler = handler,
            DisposeHttpClient = true,
        });
    }
}
