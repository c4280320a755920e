using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Broker.Integration.Tests.Hosting;

/// <summary>
/// A gRPC request as an attacker sends it: headers, then the 5-byte prefix of a message announced at
/// <c>announced</c> bytes and a little of it, then nothing, for as long as the test likes. A server
/// that waits for the body before it answers never answers.
/// </summary>
internal sealed class StalledGrpcRequest : IDisposable
{
    private readonly HttpClient _client;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StalledGrpcRequest(Uri broker)
    {
        _client = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { BaseAddress = broker };
    }

    /// <summary>Sends the request (HTTP/2, prior knowledge) and returns as soon as the response's headers arrive (the body stays stalled).</summary>
    public async Task<HttpResponseMessage> SendAsync(string path, int announced, string? grpcEncoding = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StalledContent(announced, _release.Task),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (grpcEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", grpcEncoding);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }

    /// <summary>The gRPC status of a response: from its headers (trailers-only) or, once the body is read, its trailers.</summary>
    public static async Task<(int Status, string Message)> StatusAsync(HttpResponseMessage response)
    {
        if (!response.Headers.Contains("grpc-status"))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await response.Content.ReadAsByteArrayAsync(timeout.Token);
        }

        var headers = response.Headers.Contains("grpc-status") ? response.Headers : response.TrailingHeaders;
        var status = int.Parse(headers.GetValues("grpc-status").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var message = headers.TryGetValues("grpc-message", out var values) ? Uri.UnescapeDataString(values.Single()) : string.Empty;
        return (status, message);
    }

    public void Dispose()
    {
        _release.TrySetResult();
        _client.Dispose();
    }

    private sealed class StalledContent(int announced, Task release) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        /// <summary>The handler cancels this when the server ends the call: only then does the stall stop.</summary>
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var head = new byte[5 + (16 * 1024)];
            BinaryPrimitives.WriteInt32BigEndian(head.AsSpan(1), announced);
            await stream.WriteAsync(head, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await release.WaitAsync(cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
