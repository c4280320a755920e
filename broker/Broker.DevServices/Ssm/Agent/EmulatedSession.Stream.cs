using System.Globalization;
using System.Text.Json;
using Broker.Ssm.DataChannel;
using Broker.Ssm.Protocol;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>What the agent does with input before its program can take it.</summary>
internal enum AgentPhase
{
    /// <summary>No program yet: data frames are neither acknowledged nor processed (the client resends).</summary>
    Starting,

    /// <summary>Handshake: everything is acknowledged, only the handshake response is processed.</summary>
    Handshaking,

    /// <summary>The program takes input.</summary>
    Ready,

    /// <summary>The program is gone: input is acknowledged and dropped.</summary>
    Ending,
}

/// <summary>The agent's data-channel rules: sequencing, acknowledgements, resends, faults.</summary>
public sealed partial class EmulatedSession
{
    private const int IncomingCapacity = 100_000;

    private readonly LinkedList<Pending> _outgoing = new();
    private readonly Dictionary<long, LinkedListNode<Pending>> _outgoingBySequence = [];
    private readonly Dictionary<long, ChannelMessage> _ahead = [];
    private readonly RoundTripEstimator _rto = new();
    private readonly SessionCounters _counters = new();
    private AgentPhase _phase = AgentPhase.Starting;
    private bool _paused;
    private long _nextSequence;
    private long _expected;
    private long _highestAcknowledged = -1;
    private byte[]? _held;
    private TaskCompletionSource? _space;

    /// <summary>What the session's data channel has seen so far.</summary>
    public SessionCounters.Snapshot Counters
    {
        get
        {
            lock (_gate)
            {
                return _counters.Take(_outgoing.Count);
            }
        }
    }

    /// <summary>Sends one output data message, waiting while the agent's window of unacknowledged frames is full.</summary>
    private async Task SendDataAsync(PayloadType type, ReadOnlyMemory<byte> payload)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                // Once ended (channel_closed is sent) nothing more goes out, and nobody acknowledges what would.
                if (State == EmulatedSessionState.Ended
                    || (_phase == AgentPhase.Ending && type is not (PayloadType.ExitCode or PayloadType.Output or PayloadType.StdErr)))
                {
                    return;
                }

                if (_outgoing.Count < _options.OutgoingWindow)
                {
                    var now = DateTimeOffset.UtcNow;
                    var sequence = _nextSequence++;
                    var frame = ChannelMessageCodec.Encode(new ChannelMessage(
                        MessageTypes.OutputStreamData,
                        sequence,
                        sequence == 0 ? MessageFlagBits.Syn : MessageFlagBits.None,
                        Guid.NewGuid(),
                        (ulong)now.ToUnixTimeMilliseconds(),
                        type,
                        payload));
                    _outgoingBySequence[sequence] = _outgoing.AddLast(new Pending(sequence, frame, now));
                    if (!_paused)
                    {
                        Transmit(frame);
                    }

                    return;
                }

                _space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _space.Task;
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Sends a data frame through the fault injector (called under the lock).</summary>
    private void Transmit(byte[] frame)
    {
        var connection = _connection;
        if (connection is null)
        {
            return;
        }

        if (_cutCountdown is { } countdown && --countdown <= 0)
        {
            _cutCountdown = null;
            connection.Enqueue(frame);
            _connection = null;
            // The frame is queued first: the cut lands in the middle of the stream, not before it.
            _ = Task.Delay(20).ContinueWith(_ => connection.Abort(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        if (_cutCountdown is not null)
        {
            _cutCountdown--;
        }

        var faults = _faults;
        if (faults.DropOutgoing > 0 && _random.NextDouble() < faults.DropOutgoing)
        {
            _counters.DroppedOutgoing++;
            return;
        }

        if (faults.CorruptOutgoing > 0 && frame.Length > ChannelMessageCodec.PayloadOffset && _random.NextDouble() < faults.CorruptOutgoing)
        {
            // A damaged copy goes out instead; the frame stays unacknowledged and is resent intact.
            var damaged = (byte[])frame.Clone();
            damaged[ChannelMessageCodec.PayloadOffset + _random.Next(frame.Length - ChannelMessageCodec.PayloadOffset)] ^= 0x20;
            _counters.Corrupted++;
            Deliver(connection, damaged, faults.FrameDelay);
            return;
        }

        if (_held is null && faults.ReorderOutgoing > 0 && _random.NextDouble() < faults.ReorderOutgoing)
        {
            _held = frame;
            _counters.Reordered++;
            return;
        }

        var copies = faults.DuplicateOutgoing > 0 && _random.NextDouble() < faults.DuplicateOutgoing ? 2 : 1;
        _counters.DuplicatedOutgoing += copies - 1;
        for (var i = 0; i < copies; i++)
        {
            Deliver(connection, frame, faults.FrameDelay);
        }

        if (_held is { } held)
        {
            _held = null;
            Deliver(connection, held, faults.FrameDelay);
        }
    }

    private void Deliver(AgentConnection connection, byte[] frame, TimeSpan delay)
    {
        _counters.FramesSent++;
        if (delay <= TimeSpan.Zero)
        {
            connection.Enqueue(frame);
            return;
        }

        _ = Task.Delay(delay).ContinueWith(_ => connection.Enqueue(frame), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private void OnResendTick()
    {
        lock (_gate)
        {
            if (_paused || _connection is null)
            {
                return;
            }

            if (_held is { } held)
            {
                _held = null;
                Deliver(_connection, held, TimeSpan.Zero);
            }

            var now = DateTimeOffset.UtcNow;
            for (var node = _outgoing.First; node is not null; node = node.Next)
            {
                // The agent looks at the oldest frame only. The emulator can also resend, in the same
                // tick, every expired frame the client has provably skipped (a later one was
                // acknowledged); frames merely in flight are left alone, so a slow client is not
                // buried under resends of what it is still reading.
                var head = node == _outgoing.First;
                if (!head && (_options.ResendOldestOnly || node.Value.SequenceNumber > _highestAcknowledged))
                {
                    break;
                }

                if (now - node.Value.LastSent <= _rto.Timeout)
                {
                    continue;
                }

                node.Value = node.Value with { LastSent = now };
                _counters.Resends++;
                Transmit(node.Value.Frame);
                if (_connection is null)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// On a client's new connection: the agent's rule lets its resend timer repair what was sent into
    /// the dropped one, one frame per tick; in the brisk mode everything unacknowledged goes again at once.
    /// </summary>
    private void ResendAfterReconnect()
    {
        if (_options.ResendOldestOnly)
        {
            return;
        }

        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            for (var node = _outgoing.First; node is not null && _connection is not null; node = node.Next)
            {
                node.Value = node.Value with { LastSent = now };
                _counters.Resends++;
                Transmit(node.Value.Frame);
            }
        }
    }

    /// <summary>Acknowledges a data message (called under the lock).</summary>
    private void Acknowledge(ChannelMessage message)
    {
        if (_connection is not { } connection)
        {
            return;
        }

        var frame = ControlMessages.Acknowledgement(message, DateTimeOffset.UtcNow);
        _counters.AcksSent++;
        if (_faults.AckDelay > TimeSpan.Zero)
        {
            _ = Task.Delay(_faults.AckDelay).ContinueWith(_ => connection.Enqueue(frame), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
        else
        {
            connection.Enqueue(frame);
        }
    }

    private void SendControl(string messageType, byte[]? payload = null)
    {
        lock (_gate)
        {
            _connection?.Enqueue(ControlMessages.Frame(messageType, payload ?? [], DateTimeOffset.UtcNow));
        }
    }

    /// <summary>Waits (bounded) until the client has acknowledged everything the agent sent, as the agent does before it reports the end.</summary>
    private async Task FlushOutgoingAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            Task wait;
            lock (_gate)
            {
                if (_outgoing.Count == 0)
                {
                    return;
                }

                _space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _space.Task;
            }

            // Woken by each acknowledgement that frees a slot; re-checked at least every resend interval.
            await Task.WhenAny(wait, Task.Delay(_options.ResendInterval)).ConfigureAwait(false);
        }
    }

    private byte[] ChannelClosedPayload(string? output) => JsonSerializer.SerializeToUtf8Bytes(
        new ChannelClosedPayload(
            Guid.NewGuid().ToString(),
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            Instance.InstanceId,
            SessionId,
            MessageTypes.ChannelClosed,
            1,
            output ?? ""),
        SsmJsonContext.Default.ChannelClosedPayload);

    private readonly record struct Pending(long SequenceNumber, byte[] Frame, DateTimeOffset LastSent);
}
