using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Replay.Sources;

/// <summary>
/// A session id read from a running broker's RecordingService: the recording file is downloaded
/// whole and then read like a local file, so verification happens here, not on the broker.
/// </summary>
internal sealed class BrokerSessionResolver(Uri broker, string token, HttpMessageHandler? handler = null) : IRecordingSourceResolver, IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(broker, new GrpcChannelOptions
    {
        HttpHandler = handler,
        DisposeHttpClient = true,
        Credentials = ChannelCredentials.Create(
            broker.Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            })),
        UnsafeUseInsecureChannelCallCredentials = broker.Scheme != Uri.UriSchemeHttps,
        MaxReceiveMessageSize = 16 * 1024 * 1024,
    });

    public async ValueTask<SourceResolution?> ResolveAsync(string location, CancellationToken cancellationToken)
    {
        if (!SessionIdSyntax.IsSessionId(location))
        {
            return null;
        }

        var client = new RecordingService.RecordingServiceClient(_channel);
        var name = $"session {location} ({broker})";
        RecordingSummary? row;
        try
        {
            // The index row first: what the recording must be, or that its file is gone.
            row = (await client.GetRecordingAsync(new GetRecordingRequest { SessionId = location, SummaryOnly = true }, cancellationToken: cancellationToken).ConfigureAwait(false)).Recording;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            row = null;
        }
        catch (RpcException e)
        {
            return SourceResolution.Failed($"session {location} on {broker}: {Describe(e)}");
        }

        if (row?.State == RecordingState.Missing)
        {
            return new SourceResolution([new MissingRecordingSource(name, $"the broker's index lists it, but its file is gone{Sealed(row)}")]);
        }

        try
        {
            using var call = client.DownloadRecording(new DownloadRecordingRequest { SessionId = location }, cancellationToken: cancellationToken);
            using var file = new MemoryStream();
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                file.Write(chunk.Chunk.Span);
            }

            var expected = row?.Seal is { } seal
                ? new RecordingExpectation(location, seal.RecordCount, Convert.ToHexStringLower(seal.ChainHash.Span), seal.SizeBytes)
                : RecordingExpectation.ForSession(location);
            return new SourceResolution([new IndexedRecordingSource(new MemoryRecordingSource(name, file.ToArray()), expected)]);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && row is not null)
        {
            return new SourceResolution([new MissingRecordingSource(name, $"the broker's index lists it, but its file is gone{Sealed(row)}")]);
        }
        catch (RpcException e)
        {
            return SourceResolution.Failed($"session {location} on {broker}: {Describe(e)}");
        }
    }

    /// <summary>The broker's recording public key, for when the auditor did not name one.</summary>
    public async Task<(string? Pem, string? Error)> PublicKeyAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await new RecordingService.RecordingServiceClient(_channel)
                .GetPublicKeyAsync(new GetPublicKeyRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return (response.PublicKeyPem, null);
        }
        catch (RpcException e)
        {
            return (null, $"cannot fetch the public key from {broker}: {Describe(e)}");
        }
    }

    public void Dispose() => _channel.Dispose();

    private static string Sealed(RecordingSummary row) =>
        row.Seal is { } seal ? $"; it was sealed over {seal.RecordCount} records, {seal.SizeBytes} bytes" : string.Empty;

    private static string Describe(RpcException e) => e.StatusCode switch
    {
        StatusCode.NotFound => "no such recording",
        StatusCode.PermissionDenied => $"permission denied ({e.Status.Detail})",
        StatusCode.Unauthenticated => $"not authenticated ({e.Status.Detail})",
        StatusCode.Unavailable => "the broker is unavailable",
        _ => $"{e.StatusCode}: {e.Status.Detail}",
    };
}

/// <summary>A recording held in memory (downloaded from a broker).</summary>
internal sealed class MemoryRecordingSource(string name, byte[] content) : IRecordingSource
{
    public string Name => name;

    public long? Length => content.Length;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream>(new MemoryStream(content, writable: false));
}

/// <summary>What a broker session id looks like (so paths are never mistaken for ids).</summary>
internal static class SessionIdSyntax
{
    public static bool IsSessionId(string location) =>
        location.Length is > 0 and <= 64 && location.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && !File.Exists(location) && !Directory.Exists(location);
}
