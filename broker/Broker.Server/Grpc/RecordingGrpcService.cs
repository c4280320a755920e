using Broker.Policy;
using Broker.Server.Access;
using Broker.Server.Auth;
using Broker.Server.Logging;
using Broker.Server.Recording;
using Broker.Server.Replicas.Forwarding;
using Grpc.Core;
using Recorder;
using V1 = Broker.Protocol.V1;

namespace Broker.Server.Grpc;

/// <summary>
/// Recordings for auditors and observers: the index, the events, the files, the key, and live
/// attach. Only the policy's observer and operator groups get in; an agent cannot read any
/// recording, its own included, so none can learn about another identity's sessions. Attach and the download of a
/// live session another replica holds are answered by that replica (<see cref="SessionForwarder"/>).
/// </summary>
internal sealed partial class RecordingGrpcService : V1.RecordingService.RecordingServiceBase
{
    private const int DownloadChunkBytes = 256 * 1024;
    private readonly RecordingCatalog _catalog;
    private readonly RecordingFeed _feed;
    private readonly IAccessPolicy _access;
    private readonly SessionForwarder _forwarder;
    private readonly ILogger<RecordingGrpcService> _logger;

    public RecordingGrpcService(RecordingCatalog catalog, RecordingFeed feed, IAccessPolicy access, SessionForwarder forwarder, ILogger<RecordingGrpcService> logger)
    {
        _catalog = catalog;
        _feed = feed;
        _access = access;
        _forwarder = forwarder;
        _logger = logger;
    }

    public override Task<V1.ListRecordingsResponse> ListRecordings(V1.ListRecordingsRequest request, ServerCallContext context)
    {
        Authorize(context, "list recordings");
        var query = new RecordingQuery
        {
            Subject = request.Subject,
            Target = request.Target,
            StartedFrom = request.StartedFrom?.ToDateTimeOffset(),
            StartedBefore = request.StartedBefore?.ToDateTimeOffset(),
            HasDenied = request.HasDenied,
            HasApproval = request.HasApproval,
            Limit = request.Limit == 0 ? 100 : (int)Math.Min(request.Limit, 1000),
        };
        var response = new V1.ListRecordingsResponse();
        response.Recordings.AddRange(_catalog.Index.List(query).Select(e => e.ToProto(_catalog.Running(e.SessionId) is not null)));
        return Task.FromResult(response);
    }

    public override async Task<V1.GetRecordingResponse> GetRecording(V1.GetRecordingRequest request, ServerCallContext context)
    {
        Authorize(context, "read recordings");
        if (await HeldElsewhereAsync(request.SessionId, context).ConfigureAwait(false) is { } holder)
        {
            // The holder has the whole recording so far and knows the session runs; the bucket's copy here would be partial.
            return await _forwarder.GetRecordingAsync(holder, request, context).ConfigureAwait(false);
        }

        if (request.SummaryOnly && _catalog.Index.Get(request.SessionId) is { } row)
        {
            // The row as the index keeps it, whether or not its file is still there.
            return new V1.GetRecordingResponse { Recording = row.ToProto(_catalog.Running(row.SessionId) is not null) };
        }

        var location = FindOrThrow(request.SessionId);
        var stream = _catalog.Storage.OpenRead(location);
        await using (stream.ConfigureAwait(false))
        {
            RecordingHeader header;
            using (var reader = OpenReader(stream, request.SessionId))
            {
                header = reader.Header;
            }

            stream.Position = 0;
            var verification = RecordingVerifier.Verify(stream, _catalog.PublicKeyFor(header.SigningKeyId));
            var running = _catalog.Running(request.SessionId) is not null;
            var entry = _catalog.Index.Get(request.SessionId)
                ?? await RecordingIndexEntry.FromRecordingAsync(RewindAndKeep(stream), location, _catalog.Storage.SizeOf(location), context.CancellationToken).ConfigureAwait(false);
            var response = new V1.GetRecordingResponse
            {
                Recording = (entry with { SizeBytes = _catalog.Storage.SizeOf(location) }).ToProto(running),
                Size = new V1.TerminalSize { Columns = (uint)Math.Max(0, header.Columns), Rows = (uint)Math.Max(0, header.Rows) },
                BrokerVersion = header.BrokerVersion,
                Verification = verification.ToProto(),
            };
            response.Roles.AddRange(header.Roles);
            return response;
        }
    }

    public override async Task StreamRecording(V1.StreamRecordingRequest request, IServerStreamWriter<V1.StreamRecordingResponse> responseStream, ServerCallContext context)
    {
        Authorize(context, "read recordings");
        if (await HeldElsewhereAsync(request.SessionId, context).ConfigureAwait(false) is { } holder)
        {
            await _forwarder.StreamRecordingAsync(holder, request, responseStream, context).ConfigureAwait(false);
            return;
        }

        var location = FindOrThrow(request.SessionId);
        var stream = _catalog.Storage.OpenRead(location);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = OpenReader(stream, request.SessionId);
            await foreach (var recorded in reader.ReadEventsAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(new V1.StreamRecordingResponse { Event = recorded.ToProto() }, context.CancellationToken).ConfigureAwait(false);
            }

            if (reader.Damage is { } damage)
            {
                throw new RpcException(new Status(StatusCode.DataLoss, $"the recording is damaged at record {damage.RecordIndex}: {UntrustedText.Neutralize(damage.Reason)}"));
            }
        }
    }

    public override async Task DownloadRecording(V1.DownloadRecordingRequest request, IServerStreamWriter<V1.DownloadRecordingResponse> responseStream, ServerCallContext context)
    {
        Authorize(context, "read recordings");
        if (await HeldElsewhereAsync(request.SessionId, context).ConfigureAwait(false) is { } holder)
        {
            await _forwarder.DownloadAsync(holder, request, responseStream, context).ConfigureAwait(false);
            return;
        }

        var location = FindOrThrow(request.SessionId);
        var stream = _catalog.Storage.OpenRead(location);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[DownloadChunkBytes];
            int read;
            while ((read = await stream.ReadAsync(buffer, context.CancellationToken).ConfigureAwait(false)) > 0)
            {
                await responseStream.WriteAsync(new V1.DownloadRecordingResponse { Chunk = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) }, context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task<V1.GetPublicKeyResponse> GetPublicKey(V1.GetPublicKeyRequest request, ServerCallContext context) =>
        Task.FromResult(new V1.GetPublicKeyResponse { PublicKeyPem = _catalog.Storage.PublicKeyPem });

    public override async Task Attach(V1.AttachRequest request, IServerStreamWriter<V1.AttachResponse> responseStream, ServerCallContext context)
    {
        var caller = Authorize(context, "watch sessions");
        if (await HeldElsewhereAsync(request.SessionId, context).ConfigureAwait(false) is { } holder)
        {
            await _forwarder.AttachAsync(holder, request, responseStream, context).ConfigureAwait(false);
            return;
        }

        var feed = _feed.Open(request.SessionId, request.FromStart)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"session '{request.SessionId}' does not exist"));
        LogAttached(_logger, new LoggedText(caller.Subject), new LoggedText(request.SessionId), request.FromStart);
        await foreach (var item in feed.WithCancellation(context.CancellationToken).ConfigureAwait(false))
        {
            var frame = item switch
            {
                FeedItem.Started started => new V1.AttachResponse { Started = started.Header.ToProto(started.Live) },
                FeedItem.Event recorded => new V1.AttachResponse { Event = recorded.Recorded.ToProto() },
                FeedItem.Gap gap => new V1.AttachResponse { Gap = new V1.AttachGap { FromRecord = gap.From, ToRecord = gap.To, Reason = gap.Reason } },
                _ => null,
            };
            if (frame is not null)
            {
                await responseStream.WriteAsync(frame, context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    private CallerIdentity Authorize(ServerCallContext context, string what)
    {
        var caller = context.Caller();
        if (!_access.IsObserver(caller) && !_access.IsOperator(caller))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"only observers and operators may {what}"));
        }

        return caller;
    }

    /// <summary>
    /// The replica running a session this one does not, or null. Asked before any local copy is looked for: while the
    /// session runs, the holder's recording is the whole of it, and a copy found here (a bucket's, uploaded so far) is not.
    /// </summary>
    private async Task<Postgres.SessionLocation?> HeldElsewhereAsync(string sessionId, ServerCallContext context) =>
        _catalog.Running(sessionId) is null ? await _forwarder.LocateAsync(sessionId, context).ConfigureAwait(false) : null;

    private string FindOrThrow(string sessionId) =>
        (string.IsNullOrEmpty(sessionId) ? null : _catalog.Find(sessionId))
        ?? throw new RpcException(new Status(StatusCode.NotFound, $"no recording of session '{sessionId}'"));

    private static RecordingReader OpenReader(Stream stream, string sessionId)
    {
        try
        {
            return RecordingReader.Open(stream);
        }
        catch (RecordingFormatException ex)
        {
            throw new RpcException(new Status(StatusCode.DataLoss, $"the recording of session '{sessionId}' is unreadable: {ex.Message}"));
        }
    }

    private static Stream RewindAndKeep(Stream stream)
    {
        stream.Position = 0;
        return stream;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Subject} attached to session {SessionId} (from start: {FromStart})")]
    private static partial void LogAttached(ILogger logger, LoggedText subject, LoggedText sessionId, bool fromStart);
}
