using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Broker.Harness.Terminals;

/// <summary>An interactive session on the broker: one Interact call.</summary>
internal sealed class BrokerTerminal : ITerminal
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<InteractRequest, InteractResponse> _call;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;

    private BrokerTerminal(GrpcChannel channel, AsyncDuplexStreamingCall<InteractRequest, InteractResponse> call)
    {
        _channel = channel;
        _call = call;
        _reader = Task.Run(ReadAsync);
    }

    public OutputMonitor Output { get; } = new();

    /// <summary>Opens a session on <paramref name="channel"/>, which the terminal then owns.</summary>
    public static async Task<BrokerTerminal> OpenAsync(GrpcChannel channel, Metadata headers, string target, CancellationToken cancellationToken)
    {
        // The call outlives the opening: only the reader's own stop token ends it.
        var call = new SessionService.SessionServiceClient(channel).Interact(headers, cancellationToken: CancellationToken.None);
        var terminal = new BrokerTerminal(channel, call);
        try
        {
            await call.RequestStream.WriteAsync(new InteractRequest
            {
                Open = new OpenTerminal { Target = target, Size = new TerminalSize { Columns = 200, Rows = 50 }, Term = "xterm-256color" },
            }, cancellationToken).ConfigureAwait(false);
            await terminal._opened.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or IOException or TimeoutException)
        {
            // The reader saw why the call failed (refused, denied, limit); that is the useful message.
            var reason = terminal.Output.Closed ?? ex.Message;
            await terminal.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"the session did not open: {reason}", ex);
        }

        return terminal;
    }

    private async Task ReadAsync()
    {
        var reason = "the broker ended the call";
        try
        {
            while (await _call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
            {
                var frame = _call.ResponseStream.Current;
                switch (frame.FrameCase)
                {
                    case InteractResponse.FrameOneofCase.Opened:
                        _opened.TrySetResult();
                        break;
                    case InteractResponse.FrameOneofCase.Output:
                        Output.OnOutput(frame.Output.Span);
                        break;
                    case InteractResponse.FrameOneofCase.Exit:
                        reason = $"the session exited ({frame.Exit})";
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // ObjectDisposedException: a reader stuck past DisposeAsync's wait meets the disposed call.
            reason = ex.Message;
        }

        _opened.TrySetException(new IOException(reason));
        Output.OnClosed(reason);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> input, CancellationToken cancellationToken) =>
        await _call.RequestStream.WriteAsync(new InteractRequest { Input = UnsafeByteOperations.UnsafeWrap(input) }, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        // The reader ends on the cancellation before the call is disposed: disposing first raced a reader between two
        // frames into an ObjectDisposedException (a smoke run under load failed on it).
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The reader is stuck in the transport; disposing the call below ends it.
        }

        _call.Dispose();
        _stop.Dispose();
        _channel.Dispose();
    }
}
