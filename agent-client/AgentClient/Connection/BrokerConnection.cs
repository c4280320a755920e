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
    /// <summary>
    /// The receive window of each call's HTTP/2 stream. The runtime starts at 64 KiB and sends a WINDOW_UPDATE each
    /// time an eighth of the window has been read (it grows the window only when a window's worth is read within
    /// about a round trip): at 64 KiB, a send by the client and a read by the broker per 8 KiB of a streaming
    /// session's output. At 1 MiB that is one per 128 KiB, and at most 1 MiB of output is on its way unread
    /// (OpenSSH's session channel allows 2 MiB).
    /// </summary>
    internal const int StreamWindow = 1024 * 1024;

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
        // The settings were checked when the command line was resolved (a CA file, a client certificate); otherwise the
        // handler Grpc.Net.Client would make.
        var handler = Tls.CreateHandler().Handler ?? new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        handler.InitialHttp2StreamWindowSize = StreamWindow;
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
