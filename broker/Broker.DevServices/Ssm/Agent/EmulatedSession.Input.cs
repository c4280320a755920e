using Broker.Ssm.Protocol;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>The agent receiving: input in sequence (early input kept, duplicates acknowledged again), and acknowledgements.</summary>
public sealed partial class EmulatedSession
{
    private async ValueTask HandleFrameAsync(ReadOnlyMemory<byte> frame)
    {
        var decoded = ChannelMessageCodec.Decode(frame);
        if (decoded.Rejection == FrameRejection.DigestMismatch)
        {
            // The agent does not check digests; the emulator counts bad ones so tests can.
            lock (_gate)
            {
                _counters.BadDigests++;
            }

            decoded = ChannelMessageCodec.Decode(frame, verifyDigest: false);
        }

        if (decoded.Message is not { } message)
        {
            lock (_gate)
            {
                _counters.Malformed++;
            }

            return;
        }

        int copies;
        lock (_gate)
        {
            var faults = _faults;
            if (message.IsStreamData && faults.DropIncoming > 0 && _random.NextDouble() < faults.DropIncoming)
            {
                _counters.DroppedIncoming++;
                return;
            }

            copies = faults.DuplicateIncoming > 0 && _random.NextDouble() < faults.DuplicateIncoming ? 2 : 1;
        }

        for (var i = 0; i < copies; i++)
        {
            switch (message.MessageType)
            {
                case MessageTypes.InputStreamData:
                    await HandleInputAsync(message).ConfigureAwait(false);
                    break;
                case MessageTypes.Acknowledge:
                    HandleAcknowledge(message);
                    break;
                default:
                    break;
            }
        }
    }

    private async ValueTask HandleInputAsync(ChannelMessage message)
    {
        var ready = new List<ChannelMessage>(1);
        lock (_gate)
        {
            _paused = false;
            _counters.InputFrames++;
            if (_phase == AgentPhase.Starting)
            {
                // Not ready: no ack, no progress; the client sends it again.
                _counters.NotReady++;
                return;
            }

            if (message.SequenceNumber < _expected)
            {
                _counters.DuplicateInputs++;
                Acknowledge(message);
                return;
            }

            if (message.SequenceNumber > _expected)
            {
                if (_ahead.Count < IncomingCapacity)
                {
                    _counters.EarlyInputs++;
                    _ahead.TryAdd(message.SequenceNumber, message with { Payload = message.Payload.ToArray() });
                    Acknowledge(message);
                }

                return;
            }

            Acknowledge(message);
            ready.Add(message);
            _expected++;
            while (_ahead.Remove(_expected, out var next))
            {
                ready.Add(next);
                _expected++;
            }
        }

        foreach (var item in ready)
        {
            await ProcessInputAsync(item).ConfigureAwait(false);
        }
    }

    private void HandleAcknowledge(ChannelMessage message)
    {
        var sequence = ControlMessages.AcknowledgedSequence(message);
        lock (_gate)
        {
            _paused = false;
            _counters.AcksReceived++;
            if (sequence is not { } acknowledged || !_outgoingBySequence.Remove(acknowledged, out var node))
            {
                return;
            }

            _outgoing.Remove(node);
            _highestAcknowledged = Math.Max(_highestAcknowledged, node.Value.SequenceNumber);
            _rto.Observe(DateTimeOffset.UtcNow - node.Value.LastSent);
            if (_space is { } space && _outgoing.Count < _options.OutgoingWindow)
            {
                _space = null;
                space.TrySetResult();
            }
        }
    }
}
