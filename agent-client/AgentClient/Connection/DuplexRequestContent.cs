using System.Net;

namespace AgentClient.Connection;

/// <summary>
/// The request body of a streaming call: HTTP/2 sends it while the response arrives. The handler hands
/// over its stream when it starts sending the body, and the body ends (END_STREAM) when <see cref="Complete"/>
/// is called or the call is torn down.
/// </summary>
internal sealed class DuplexRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DuplexRequestContent()
    {
        Headers.TryAddWithoutValidation("content-type", "application/grpc");
    }

    /// <summary>The body's stream, once the handler has started sending the request.</summary>
    public Task<Stream> Stream => _stream.Task;

    /// <summary>Ends the request body.</summary>
    public void Complete() => _complete.TrySetResult();

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        try
        {
            await _complete.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The handler gave up on the request (the connection failed, or the call was reset). Ending the body
            // quietly lets the call fail with the connection's own error, which names the cause (a reset, a server
            // that speaks TLS), instead of with this cancellation.
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // A stream of frames has no length known in advance.
        length = -1;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Complete();
        }

        base.Dispose(disposing);
    }
}
