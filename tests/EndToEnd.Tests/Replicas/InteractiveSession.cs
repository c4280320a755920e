using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// An interactive session opened over gRPC on one replica (100 x 30 cells), whose output is read and dropped so that
/// flow control never holds it back; disposing ends its input, and the shell exits.
/// </summary>
internal sealed class InteractiveSession : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<InteractRequest, InteractResponse> _call;

    private InteractiveSession(GrpcChannel channel, AsyncDuplexStreamingCall<InteractRequest, InteractResponse> call, SessionOpened opened)
    {
        _channel = channel;
        _call = call;
        SessionId = opened.SessionId;
        Roles = [.. opened.Roles];
        // Read until the call ends; its end (disposal, or the replica stopping) is not what these tests look at.
        _ = DrainAsync();
    }

    public string SessionId { get; }

    public IReadOnlyList<string> Roles { get; }

    public static async Task<InteractiveSession> OpenAsync(BrokerProcess replica, string token, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress(replica.Url);
        var call = new SessionService.SessionServiceClient(channel).Interact(new Metadata { { "authorization", "Bearer " + token } }, cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new InteractRequest { Open = new OpenTerminal { Target = "local", Size = new TerminalSize { Columns = 100, Rows = 30 } } }, cancellationToken);
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            if (call.ResponseStream.Current.Opened is { } opened)
            {
                return new InteractiveSession(channel, call, opened);
            }
        }

        call.Dispose();
        channel.Dispose();
        throw new InvalidOperationException("the session ended before it opened");
    }

    public Task ResizeAsync(int columns, int rows, CancellationToken cancellationToken) =>
        _call.RequestStream.WriteAsync(new InteractRequest { Resize = new TerminalSize { Columns = (uint)columns, Rows = (uint)rows } }, cancellationToken);

    public void Dispose()
    {
        _call.Dispose();
        _channel.Dispose();
    }

    private async Task DrainAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None))
            {
                // Output, notices and the exit are not what these tests look at.
            }
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Disposed, or the replica stopped.
        }
    }
}
