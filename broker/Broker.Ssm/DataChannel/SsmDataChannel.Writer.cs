using System.Net.WebSockets;
using Broker.Ssm.Protocol;

namespace Broker.Ssm.DataChannel;

/// <summary>
/// The socket's one writer: acknowledgements first, then data frames (held while the service has
/// paused publication), and the resend timer that puts the oldest expired frame back in the queue.
/// </summary>
internal sealed partial class SsmDataChannel
{
    private void Acknowledge(ChannelMessage message)
    {
        _acks.Writer.TryWrite(ControlMessages.Acknowledgement(message, _time.GetUtcNow()));
        _wake.Writer.TryWrite(true);
    }

    private void Unpause()
    {
        var wasPaused = false;
        lock (_gate)
        {
            wasPaused = _paused;
            _paused = false;
        }

        if (wasPaused)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                _wake.Reader.TryRead(out _);
                WebSocket? socket;
                bool paused;
                lock (_gate)
                {
                    socket = _socket;
                    paused = _paused;
                }

                // While the socket is down, what is queued is dropped: data frames stay in the
                // outgoing buffer and go again after the resume; acknowledgements are asked for again.
                while (_acks.Reader.TryRead(out var ack))
                {
                    socket = await WriteAsync(socket, ack).ConfigureAwait(false);
                }

                while (!paused && _frames.Reader.TryRead(out var frame))
                {
                    socket = await WriteAsync(socket, frame).ConfigureAwait(false);
                    while (_acks.Reader.TryRead(out var ack))
                    {
                        socket = await WriteAsync(socket, ack).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The channel ended.
        }
    }

    private async ValueTask<WebSocket?> WriteAsync(WebSocket? socket, byte[] frame)
    {
        if (socket is null)
        {
            return null;
        }

        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, _stop.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException || (ex is OperationCanceledException && !_stop.IsCancellationRequested))
        {
            // The receive loop sees the same failure and resumes the channel.
            socket.Abort();
            return null;
        }
    }

    private void OnResendTick()
    {
        byte[]? frame;
        lock (_gate)
        {
            if (_paused || _socket is null)
            {
                return;
            }

            frame = _outgoing.TakeDueForResend(_time.GetUtcNow(), _rto.Timeout);
        }

        if (frame is not null)
        {
            _frames.Writer.TryWrite(frame);
            _wake.Writer.TryWrite(true);
        }
    }
}
