using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Broker.Core.Sessions;
using Broker.Ssm.Targets;
using Broker.Ssm.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Ssm.DataChannel;

/// <summary>
/// The client end of one Session Manager data channel: a WebSocket to the StreamUrl, opened with
/// the session's token, carrying sequenced, acknowledged, digest-checked binary frames. Output
/// arrives in order on <see cref="Output"/> (and <see cref="ErrorOutput"/> for a command's
/// standard error) with back-pressure: a slow reader stops the receive loop, which stops reading
/// the socket. A dropped WebSocket is resumed (ResumeSession, then the original StreamUrl again,
/// counters and unacknowledged frames kept). The channel ends on channel_closed, on a failure it
/// cannot recover from, or when <see cref="Close"/> is called.
/// </summary>
/// <remarks>
/// One loop owns the socket's reads and the output pipes; one writer task owns the socket's
/// writes. The receive loop never waits for the socket to accept a write (acknowledgements are
/// queued), so two peers that both send heavily cannot deadlock on each other's full buffers.
/// </remarks>
internal sealed partial class SsmDataChannel : IAsyncDisposable
{
    // One id per process, reused on every (re)open, as AWS's client does.
    private static readonly string s_clientId = Guid.NewGuid().ToString();

    private readonly DataChannelEndpoint _endpoint;
    private readonly DataChannelSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<CancellationToken, Task<ResumeOutcome>> _resume;
    private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false));
    private readonly Pipe _errors = new(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false));
    private readonly ExitStatusMarkerFilter? _outputFilter;
    private readonly OutgoingStream _outgoing;
    private readonly IncomingStream _incoming;
    private readonly RoundTripEstimator _rto = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _inputOrder = new(1, 1);
    private readonly Channel<byte[]> _acks;
    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<ChannelStart> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ChannelEnd> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ChannelMessage> _deliverable = [];
    private TaskCompletionSource? _space;
    private WebSocket? _socket;
    private string _token;
    private bool _paused;
    private bool _handshakeSeen;
    private string? _sessionType;
    private JsonElement? _properties;
    private string? _agentVersion;
    private ITimer? _resendTimer;
    private Task _run = Task.CompletedTask;
    private Task _writer = Task.CompletedTask;
    private int _started;

    public SsmDataChannel(
        DataChannelEndpoint endpoint,
        DataChannelSettings settings,
        Func<CancellationToken, Task<ResumeOutcome>> resume,
        TimeProvider? time = null,
        ILogger? logger = null,
        ExitStatusMarkerFilter? outputFilter = null)
    {
        _endpoint = endpoint;
        _settings = settings;
        _resume = resume;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _outputFilter = outputFilter;
        _token = endpoint.Token;
        _outgoing = new OutgoingStream(settings.OutgoingCapacity);
        _incoming = new IncomingStream(settings.IncomingCapacity);
        // A dropped acknowledgement costs a resend, never data: the queue is bounded.
        _acks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(settings.IncomingCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    }

    /// <summary>The session.</summary>
    public string SessionId => _endpoint.SessionId;

    /// <summary>Terminal output, or a command's standard output; completes when the channel ends.</summary>
    public PipeReader Output => _output.Reader;

    /// <summary>A command's standard error (payload type 11); completes when the channel ends.</summary>
    public PipeReader ErrorOutput => _errors.Reader;

    /// <summary>Completes when the session type is known and the handshake (if any) is over, or the start failed.</summary>
    public Task<ChannelStart> Ready => _ready.Task;

    /// <summary>Completes when the channel has ended.</summary>
    public Task<ChannelEnd> Closed => _closed.Task;

    /// <summary>The exit code the agent reported (payload type 12), if it did.</summary>
    public int? AgentExitCode { get; private set; }

    /// <summary>How many times a dropped WebSocket was resumed.</summary>
    public int Resumes { get; private set; }

    /// <summary>Frames dropped because they failed validation.</summary>
    public int RejectedFrames { get; private set; }

    /// <summary>Dials the StreamUrl, sends the open frame and starts the loops. Returns false (and ends the channel) when every dial failed.</summary>
    public async Task<bool> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the channel is already connected");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var socket = await DialWithRetriesAsync(resume: false, linked.Token).ConfigureAwait(false);
        if (socket is null)
        {
            End(new ChannelEnd(ChannelEndKind.Failed, $"could not open the data channel of SSM session {SessionId} at {_endpoint.StreamUrl.GetLeftPart(UriPartial.Path)}"));
            _output.Writer.Complete();
            _errors.Writer.Complete();
            return false;
        }

        lock (_gate)
        {
            if (_closed.Task.IsCompleted)
            {
                // Closed while dialling: the new socket is not kept.
                socket.Abort();
                socket.Dispose();
                _output.Writer.Complete();
                _errors.Writer.Complete();
                return false;
            }

            _socket = socket;
            _resendTimer = _time.CreateTimer(_ => OnResendTick(), null, _settings.ResendInterval, _settings.ResendInterval);
        }

        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        _run = Task.Run(RunAsync, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Sends <paramref name="data"/> as input frames of <paramref name="type"/>, split at the
    /// input payload limit, in order with other input. Waits while too many frames are unacknowledged.
    /// Returns false when the channel has ended.
    /// </summary>
    public async ValueTask<bool> SendAsync(PayloadType type, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
        {
            return false;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        try
        {
            await _inputOrder.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            do
            {
                var chunk = data.Length > _settings.MaxInputPayload ? data[.._settings.MaxInputPayload] : data;
                data = data[chunk.Length..];
                if (!await EnqueueDataAsync(type, chunk, linked.Token).ConfigureAwait(false))
                {
                    return false;
                }
            }
            while (!data.IsEmpty);

            return true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            _inputOrder.Release();
        }
    }

    /// <summary>Sends a terminal size (payload type 3).</summary>
    public ValueTask<bool> SendSizeAsync(int columns, int rows, CancellationToken cancellationToken) =>
        SendAsync(PayloadType.Size, JsonSerializer.SerializeToUtf8Bytes(new SizeData((uint)columns, (uint)rows), SsmJsonContext.Default.SizeData), cancellationToken);

    /// <summary>Ends the channel from our side (the caller terminates the session through the API).</summary>
    public void Close() => End(new ChannelEnd(ChannelEndKind.LocalClose, null));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Close();
        await Task.WhenAll(_run, _writer).ConfigureAwait(false);
        _stop.Dispose();
        _inputOrder.Dispose();
    }

    private async Task<bool> EnqueueDataAsync(PayloadType type, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait = null;
            lock (_gate)
            {
                if (_closed.Task.IsCompleted)
                {
                    return false;
                }

                if (!_outgoing.IsFull)
                {
                    var now = _time.GetUtcNow();
                    var sequence = _outgoing.Reserve();
                    var frame = ChannelMessageCodec.Encode(new ChannelMessage(
                        MessageTypes.InputStreamData, sequence, MessageFlagBits.None, Guid.NewGuid(), (ulong)now.ToUnixTimeMilliseconds(), type, chunk));
                    _outgoing.Add(sequence, frame, now);
                    _frames.Writer.TryWrite(frame);
                }
                else
                {
                    _space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _space.Task;
                }
            }

            if (wait is null)
            {
                _wake.Writer.TryWrite(true);
                return true;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void End(ChannelEnd end)
    {
        if (!_closed.TrySetResult(end))
        {
            return;
        }

        _ready.TrySetResult(new ChannelStart(null, end.Message ?? "the data channel closed before the session started"));
        WebSocket? socket;
        lock (_gate)
        {
            _resendTimer?.Dispose();
            socket = _socket;
            _socket = null;
            _space?.TrySetResult();
        }

        // No close handshake, as AWS's client: the service has already let go of the session
        // (channel_closed), or we are tearing it down and terminate it through the API.
        socket?.Abort();
        socket?.Dispose();
        _wake.Writer.TryComplete();
        _stop.Cancel();
    }
}
