using System.Net.WebSockets;
using System.Text.Json;
using Broker.Ssm.Protocol;
using Microsoft.Extensions.Logging;

namespace Broker.Ssm.DataChannel;

/// <summary>The WebSocket itself: dialling with retries, the receive loop, and resuming after a drop.</summary>
internal sealed partial class SsmDataChannel
{
    private async Task<WebSocket?> DialWithRetriesAsync(bool resume, CancellationToken cancellationToken)
    {
        var delay = _settings.RetryInitialDelay;
        for (var attempt = 1; attempt <= _settings.ConnectAttempts; attempt++)
        {
            if (attempt > 1 || resume)
            {
                // A random part spreads reconnecting clients out; then the delay doubles.
                var wait = delay + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * delay.Ticks));
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.RetryMaxDelay.Ticks));
            }

            if (resume)
            {
                var outcome = await _resume(cancellationToken).ConfigureAwait(false);
                if (outcome.Error is { } error)
                {
                    LogResumeFailed(_logger, SessionId, attempt, error);
                    continue;
                }

                if (string.IsNullOrEmpty(outcome.Token))
                {
                    End(new ChannelEnd(ChannelEndKind.Failed, $"SSM session {SessionId} timed out: ResumeSession returned no token"));
                    return null;
                }

                _token = outcome.Token;
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_settings.ConnectTimeout);
                var socket = await DialAsync(_endpoint.StreamUrl, timeout.Token).ConfigureAwait(false);
                var open = new OpenDataChannelInput("1.0", Guid.NewGuid().ToString(), _token, s_clientId, _settings.ClientVersion);
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(open, SsmJsonContext.Default.OpenDataChannelInput), WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                LogDialFailed(_logger, SessionId, attempt, ex.Message);
            }
        }

        return null;
    }

    private async Task<WebSocket> DialAsync(Uri url, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = _settings.KeepAlive;
        try
        {
            await socket.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task RunAsync()
    {
        using var reader = new WebSocketMessageReader(_settings.MaxFrameBytes);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                WebSocket? socket;
                lock (_gate)
                {
                    socket = _socket;
                }

                if (socket is null)
                {
                    break;
                }

                await ReceiveFramesAsync(socket, reader).ConfigureAwait(false);
                if (_stop.IsCancellationRequested || !await ResumeAsync(socket).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Closed while delivering output or waiting to reconnect.
        }
        finally
        {
            End(new ChannelEnd(ChannelEndKind.Failed, $"the data channel of SSM session {SessionId} failed"));
            _outputFilter?.Complete(_output.Writer);
            await _output.Writer.CompleteAsync().ConfigureAwait(false);
            await _errors.Writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Handles frames until the socket fails or the channel stops.</summary>
    private async Task ReceiveFramesAsync(WebSocket socket, WebSocketMessageReader reader)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var message = await reader.ReadAsync(socket, _stop.Token).ConfigureAwait(false);
                if (message.Type == WebSocketMessageType.Close)
                {
                    return;
                }

                if (message.Oversized)
                {
                    RejectedFrames++;
                    LogOversized(_logger, SessionId, _settings.MaxFrameBytes);
                }
                else if (message.Type == WebSocketMessageType.Binary)
                {
                    await HandleFrameAsync(message.Data).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException || (ex is OperationCanceledException && !_stop.IsCancellationRequested))
        {
            LogReceiveFailed(_logger, SessionId, ex.Message);
        }
    }

    private async Task<bool> ResumeAsync(WebSocket? broken)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_socket, broken))
            {
                _socket = null;
            }
        }

        broken?.Abort();
        broken?.Dispose();
        if (_closed.Task.IsCompleted)
        {
            return false;
        }

        LogResuming(_logger, SessionId);
        var socket = await DialWithRetriesAsync(resume: true, _stop.Token).ConfigureAwait(false);
        if (socket is null)
        {
            End(new ChannelEnd(ChannelEndKind.Failed, $"lost the data channel of SSM session {SessionId} and could not resume it"));
            return false;
        }

        IReadOnlyList<byte[]> unacknowledged;
        lock (_gate)
        {
            _socket = socket;
            _paused = false;
            // Counters are kept: everything not yet acknowledged goes again, in order.
            unacknowledged = _outgoing.TakeAllForResend(_time.GetUtcNow());
        }

        foreach (var frame in unacknowledged)
        {
            _frames.Writer.TryWrite(frame);
        }

        Resumes++;
        _wake.Writer.TryWrite(true);
        LogResumed(_logger, SessionId, unacknowledged.Count);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SSM session {SessionId}: opening the data channel failed (attempt {Attempt}): {Error}")]
    private static partial void LogDialFailed(ILogger logger, string sessionId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SSM session {SessionId}: ResumeSession failed (attempt {Attempt}): {Error}")]
    private static partial void LogResumeFailed(ILogger logger, string sessionId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId}: the data channel dropped ({Error})")]
    private static partial void LogReceiveFailed(ILogger logger, string sessionId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId}: resuming the data channel")]
    private static partial void LogResuming(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId}: data channel resumed; {Count} unacknowledged frames sent again")]
    private static partial void LogResumed(ILogger logger, string sessionId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SSM session {SessionId}: dropped a frame larger than {Limit} bytes")]
    private static partial void LogOversized(ILogger logger, string sessionId, int limit);
}
