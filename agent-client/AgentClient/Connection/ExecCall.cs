using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Broker.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace AgentClient.Connection;

/// <summary>
/// One <c>SessionService.Exec</c> call, spoken directly over HTTP/2 (gRPC's wire format: a POST to
/// <c>/broker.v1.SessionService/Exec</c>, each message behind a 5-byte length prefix, the status in the
/// trailers). agent-client runs one exec per process, and in a Native AOT build Grpc.Net.Client's
/// generic call path is assembled at run time by the runtime's type loader (about 12 % of a whole
/// <c>exec -- true</c>), its channel reads assembly attributes by reflection, and it allocates a new
/// array for every message it receives: this path does none of that (docs/BENCHMARKS.md, 2026-12-05 20:00–21:10).
/// Failures surface as <see cref="RpcException"/>s shaped as Grpc.Net.Client's, so they are reported alike.
/// </summary>
internal sealed class ExecCall : IDisposable
{
    /// <summary>The largest message the client accepts (as the channel's limit for the other calls).</summary>
    public const int MaxReceiveMessageSize = 16 * 1024 * 1024;

    private const string Path = "/broker.v1.SessionService/Exec";
    private const int PrefixLength = 5;

    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly DuplexRequestContent _content;
    private readonly CancellationTokenSource _abort;
    private readonly byte[] _prefix = new byte[PrefixLength];

    private ExecCall(DuplexRequestContent content, Stream requests, HttpResponseMessage response, Stream body, CancellationTokenSource abort)
    {
        _content = content;
        _response = response;
        _body = body;
        _abort = abort;
        RequestStream = new Writer(requests, content.Complete, abort.Token);
    }

    /// <summary>The request frames; writes are framed and flushed one message at a time.</summary>
    public IClientStreamWriter<ExecRequest> RequestStream { get; }

    /// <summary>
    /// Opens the call and sends <paramref name="first"/>, which the broker needs before it answers; then waits for
    /// the response headers. A call the broker refuses at once throws its status here.
    /// </summary>
    public static async Task<ExecCall> StartAsync(HttpMessageInvoker http, Uri broker, string token, ExecRequest first, CancellationToken cancellationToken)
    {
        var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var content = new DuplexRequestContent();
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(broker, Path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        HttpResponseMessage? response = null;
        try
        {
            var sending = http.SendAsync(request, abort.Token);
            if (await Task.WhenAny(content.Stream, sending).ConfigureAwait(false) == content.Stream)
            {
                await SendFirstAsync(await content.Stream.ConfigureAwait(false), first, abort.Token).ConfigureAwait(false);
            }

            response = await sending.ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new RpcException(CallStatus.FromHttp(response.StatusCode));
            }

            // A call refused at once (a bad token, an unknown target) is answered with headers that hold its status.
            if (CallStatus.From(response.Headers) is { } refused)
            {
                throw new RpcException(refused);
            }

            var body = await response.Content.ReadAsStreamAsync(abort.Token).ConfigureAwait(false);
            var call = new ExecCall(content, await content.Stream.ConfigureAwait(false), response, body, abort);
            response = null;
            return call;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException && !abort.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Error starting gRPC call. {e.GetType().Name}: {e.Message}", e));
        }
        finally
        {
            if (response is not null)
            {
                response.Dispose();
                content.Dispose();
                abort.Dispose();
            }
        }
    }

    /// <summary>
    /// The next frame, or null once the broker has ended the call with status OK. A call ended with any
    /// other status throws it. The caller disposes each frame once it has used its bytes.
    /// </summary>
    public async ValueTask<ReceivedExecFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        var read = await ReadAtLeastAsync(_prefix, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            var status = CallStatus.From(_response.TrailingHeaders) ?? new Status(StatusCode.Internal, "No grpc-status found on response.");
            return status.StatusCode == StatusCode.OK ? null : throw new RpcException(status);
        }

        if (read < PrefixLength)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Incomplete message."));
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(_prefix.AsSpan(1));
        if (_prefix[0] != 0)
        {
            // No grpc-accept-encoding is sent, so the broker never compresses.
            throw new RpcException(new Status(StatusCode.Internal, "Compressed message without an agreed encoding."));
        }

        if (length > MaxReceiveMessageSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "Received message exceeds the maximum configured message size."));
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            if (await ReadAtLeastAsync(buffer.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false) < length)
            {
                throw new RpcException(new Status(StatusCode.Internal, "Incomplete message."));
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return ReceivedExecFrame.Decode(buffer, (int)length);
    }

    public void Dispose()
    {
        // Ends the request body and, if the response is not over yet, resets the stream (the broker sees the call cancelled).
        _abort.Cancel();
        _content.Dispose();
        _response.Dispose();
        _abort.Dispose();
    }

    private async ValueTask<int> ReadAtLeastAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Error reading next message. {e.GetType().Name}: {e.Message}", e));
        }
    }

    /// <summary>
    /// Sends the frame that opens the call. A broker that refuses the call at once may reset the stream while the
    /// frame is still being sent; the write then fails, while the real status arrives with the response.
    /// </summary>
    private static async Task SendFirstAsync(Stream stream, ExecRequest first, CancellationToken cancellationToken)
    {
        try
        {
            await WriteMessageAsync(stream, first, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException)
        {
            // The response says why.
        }
    }

    private static async Task WriteMessageAsync(Stream stream, ExecRequest message, CancellationToken cancellationToken)
    {
        var size = message.CalculateSize();
        var frame = ArrayPool<byte>.Shared.Rent(PrefixLength + size);
        try
        {
            frame[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)size);
            message.WriteTo(frame.AsSpan(PrefixLength, size));
            await stream.WriteAsync(frame.AsMemory(0, PrefixLength + size), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>The request side; one write at a time (callers serialize them, as with any gRPC stream).</summary>
    private sealed class Writer(Stream stream, Action complete, CancellationToken callOver) : IClientStreamWriter<ExecRequest>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(ExecRequest message) => WriteAsync(message, CancellationToken.None);

        public async Task WriteAsync(ExecRequest message, CancellationToken cancellationToken)
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(callOver, cancellationToken);
            try
            {
                await WriteMessageAsync(stream, message, both.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException || (e is OperationCanceledException && callOver.IsCancellationRequested))
            {
                // The call is over (or its stream was reset); its status comes with the response.
                throw new RpcException(new Status(StatusCode.Cancelled, "The call is over.", e));
            }
        }

        public Task CompleteAsync()
        {
            complete();
            return Task.CompletedTask;
        }
    }
}
