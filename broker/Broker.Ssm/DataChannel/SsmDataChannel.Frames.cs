using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Broker.Ssm.Protocol;
using Microsoft.Extensions.Logging;

namespace Broker.Ssm.DataChannel;

/// <summary>What the channel does with each frame it receives.</summary>
internal sealed partial class SsmDataChannel
{
    private const string ExitCodePrefix = "EXIT_CODE: ";

    private async ValueTask HandleFrameAsync(ReadOnlyMemory<byte> frame)
    {
        var decoded = ChannelMessageCodec.Decode(frame);
        if (decoded.Message is not { } message)
        {
            // Dropped without an acknowledgement, so the sender sends it again.
            RejectedFrames++;
            LogRejected(_logger, SessionId, decoded.Rejection);
            return;
        }

        switch (message.MessageType)
        {
            case MessageTypes.OutputStreamData:
                Unpause();
                await HandleDataAsync(message).ConfigureAwait(false);
                break;
            case MessageTypes.Acknowledge:
                Unpause();
                HandleAcknowledge(message);
                break;
            case MessageTypes.ChannelClosed:
                HandleChannelClosed(message);
                break;
            case MessageTypes.PausePublication:
                lock (_gate)
                {
                    _paused = true;
                }

                break;
            case MessageTypes.StartPublication:
                Unpause();
                break;
            default:
                // agent_session_state and anything newer: not for clients.
                break;
        }
    }

    private async ValueTask HandleDataAsync(ChannelMessage message)
    {
        _deliverable.Clear();
        var disposition = _incoming.Receive(message, _deliverable);
        switch (disposition)
        {
            case IncomingDisposition.Buffered:
            case IncomingDisposition.Duplicate:
                // A duplicate is acknowledged again (as the agent does; AWS's client ignores it,
                // which leaves a sender whose ack was lost resending forever).
                Acknowledge(message);
                return;
            case IncomingDisposition.Dropped:
                return;
        }

        foreach (var ready in _deliverable)
        {
            await DeliverAsync(ready).ConfigureAwait(false);
        }

        Acknowledge(message);
    }

    private async ValueTask DeliverAsync(ChannelMessage message)
    {
        switch (message.PayloadType)
        {
            case PayloadType.Output:
                if (_sessionType is null)
                {
                    // No handshake: the agent runs a plain shell and its first output is the prompt.
                    _sessionType = HandshakeNames.StandardStream;
                    _ready.TrySetResult(new ChannelStart(new SessionReady(_sessionType, true, null, null, null), null));
                }

                if (_outputFilter is null)
                {
                    _output.Writer.Write(message.Payload.Span);
                }
                else
                {
                    _outputFilter.Push(message.Payload.Span, _output.Writer);
                }
                await _output.Writer.FlushAsync(_stop.Token).ConfigureAwait(false);
                break;
            case PayloadType.StdErr:
                await _errors.Writer.WriteAsync(message.Payload, _stop.Token).ConfigureAwait(false);
                break;
            case PayloadType.ExitCode:
                var text = Encoding.UTF8.GetString(message.Payload.Span).Trim();
                if (text.StartsWith(ExitCodePrefix, StringComparison.Ordinal) &&
                    int.TryParse(text.AsSpan(ExitCodePrefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code))
                {
                    AgentExitCode = code;
                }

                break;
            case PayloadType.HandshakeRequest:
                await HandleHandshakeRequestAsync(message).ConfigureAwait(false);
                break;
            case PayloadType.HandshakeComplete:
                HandleHandshakeComplete(message);
                break;
            default:
                // Payload types for port sessions and KMS (refused in the handshake) have no use here.
                break;
        }
    }

    private async ValueTask HandleHandshakeRequestAsync(ChannelMessage message)
    {
        HandshakeRequestPayload? request;
        try
        {
            request = JsonSerializer.Deserialize(message.Payload.Span, SsmJsonContext.Default.HandshakeRequestPayload);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            End(new ChannelEnd(ChannelEndKind.Failed, $"SSM session {SessionId}: the agent's handshake request could not be read"));
            return;
        }

        var answer = HandshakeAnswer.Build(request, _settings.ClientVersion);
        _handshakeSeen = true;
        _sessionType = answer.SessionType;
        _properties = answer.Properties;
        _agentVersion = request.AgentVersion;
        var payload = JsonSerializer.SerializeToUtf8Bytes(answer.Response, SsmJsonContext.Default.HandshakeResponsePayload);
        // The response is ordinary input, queued behind nothing: the receive loop must not wait
        // on the input order lock, so it enqueues directly (input cannot have started yet).
        await EnqueueDataAsync(PayloadType.HandshakeResponse, payload, _stop.Token).ConfigureAwait(false);
        if (answer.Refusal is { } refusal)
        {
            LogRefused(_logger, SessionId, refusal);
            _ready.TrySetResult(new ChannelStart(null, refusal));
        }
    }

    private void HandleHandshakeComplete(ChannelMessage message)
    {
        HandshakeCompletePayload? complete = null;
        try
        {
            complete = JsonSerializer.Deserialize(message.Payload.Span, SsmJsonContext.Default.HandshakeCompletePayload);
        }
        catch (JsonException)
        {
            // The handshake is over either way; only the message for the user is lost.
        }

        if (!_handshakeSeen || _sessionType is null)
        {
            _ready.TrySetResult(new ChannelStart(null, $"SSM session {SessionId}: the agent completed a handshake it never started"));
            return;
        }

        var message2 = string.IsNullOrEmpty(complete?.CustomerMessage) ? null : complete.CustomerMessage;
        _ready.TrySetResult(new ChannelStart(new SessionReady(_sessionType, false, _properties, _agentVersion, message2), null));
    }

    private void HandleAcknowledge(ChannelMessage message)
    {
        if (ControlMessages.AcknowledgedSequence(message) is not { } sequence)
        {
            return;
        }

        lock (_gate)
        {
            if (_outgoing.Acknowledge(sequence, _time.GetUtcNow()) is { } roundTrip)
            {
                _rto.Observe(roundTrip);
            }

            if (!_outgoing.IsFull && _space is { } space)
            {
                _space = null;
                space.TrySetResult();
            }
        }
    }

    private void HandleChannelClosed(ChannelMessage message)
    {
        ChannelClosedPayload? closed = null;
        try
        {
            closed = JsonSerializer.Deserialize(message.Payload.Span, SsmJsonContext.Default.ChannelClosedPayload);
        }
        catch (JsonException)
        {
            // The channel is closed whatever its payload says.
        }

        var output = string.IsNullOrEmpty(closed?.Output) ? null : closed.Output;
        LogChannelClosed(_logger, SessionId, output ?? "");
        End(new ChannelEnd(ChannelEndKind.Closed, output));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SSM session {SessionId}: dropped a frame ({Rejection})")]
    private static partial void LogRejected(ILogger logger, string sessionId, FrameRejection rejection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SSM session {SessionId}: refused the session: {Reason}")]
    private static partial void LogRefused(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSM session {SessionId}: channel closed by the service {Output}")]
    private static partial void LogChannelClosed(ILogger logger, string sessionId, string output);
}
