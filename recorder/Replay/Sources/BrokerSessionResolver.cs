using Broker.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Replay.Sources;

/// <summary>
/// A session id read from a running broker's RecordingService: the recording file is downloaded
/// whole and then read like a local file, so verification happens here, not on the broker. The
/// download streams to a private temporary file (removed when the tool is done), never into
/// memory: a recording can be larger than the memory of the auditor's machine.
/// </summary>
internal sealed class BrokerSessionResolver(Uri broker, string token, HttpMessageHandler? handler = null) : IRecordingSourceResolver, IDisposable
{
    private readonly List<string> _downloads = [];

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
            var path = Path.Combine(Path.GetTempPath(), $"replay-{Guid.NewGuid():n}.brkrec");
            _downloads.Add(path);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var file = new FileStream(path, options);
            await using (file.ConfigureAwait(false))
            {
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await file.WriteAsync(chunk.Chunk.Memory, cancellationToken).ConfigureAwait(false);
                }
            }

            var expected = row?.Seal is { } seal
                ? new RecordingExpectation(location, seal.RecordCount, Convert.ToHexStringLower(seal.ChainHash.Span), seal.SizeBytes)
                : RecordingExpectation.ForSession(location);
            return new SourceResolution([new IndexedRecordingSource(new FileRecordingSource(path, name), expected)]);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && row is not null)
        {
            return new SourceResolution([new MissingRecordingSource(name, $"the broker's index lists it, but its file is gone{Sealed(row)}")]);
        }
        catch (RpcException e)
        {
            return SourceResolution.Failed($"session {location} on {broker}: {Describe(e)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return SourceResolution.Failed($"session {location}: cannot store the download: {e.Message}");
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

    public void Dispose()
    {
        _channel.Dispose();
        foreach (var path in _downloads)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the file is private to this user and in the temporary directory.
            }
        }
    }

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

/// <summary>What a broker session id looks like (so paths are never mistaken for ids).</summary>
internal static class SessionIdSyntax
{
    public static bool IsSessionId(string location) =>
        location.Length is > 0 and <= 64 && location.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && !File.Exists(location) && !Directory.Exists(location);
}
