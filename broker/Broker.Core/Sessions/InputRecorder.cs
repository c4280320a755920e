using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// Records a session's input in its journal through the input filter (the masker): what the agent types is masked
/// like what the program prints, and what it types while the terminal reads a secret (echo off, a line at a time:
/// <c>read -s</c>, sudo, ssh) is recorded redacted, its length kept and its content not (line breaks stay, so the
/// record still shows where a line ended). Held bytes are recorded after the filter's hold delay without input; the
/// timer is armed once rather than per keystroke: input while it is armed moves the deadline, which the timer checks
/// when it fires.
/// </summary>
internal sealed class InputRecorder : IDisposable
{
    private const byte Redacted = (byte)'*';

    private readonly IInputFilter _filter;
    private readonly ISessionJournal _journal;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _output = new(256);
    private readonly ITimer? _holdTimer;
    private readonly TimeProvider _time;
    private long _generation;
    private long _armedGeneration;
    private long _armedAt;
    private bool _timerArmed;
    private bool _redacting;
    private bool _completed;

    public InputRecorder(IInputFilter filter, ISessionJournal journal, TimeProvider time)
    {
        _filter = filter;
        _journal = journal;
        _time = time;
        _holdTimer = filter.HoldDelay > TimeSpan.Zero ? time.CreateTimer(_ => FlushOnDelay(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) : null;
    }

    /// <summary>Records <paramref name="data"/>, redacted when <paramref name="redact"/>.</summary>
    public void Record(ReadOnlySpan<byte> data, bool redact)
    {
        lock (_gate)
        {
            if (_completed || data.IsEmpty)
            {
                return;
            }

            if (redact && !_redacting)
            {
                _journal.Notice(NoticeKind.Info, "input typed while the terminal does not echo (a password prompt) is recorded redacted: its length is kept, its content is not");
            }

            _redacting = redact;
            if (redact)
            {
                var copy = ArrayPool<byte>.Shared.Rent(data.Length);
                for (var i = 0; i < data.Length; i++)
                {
                    copy[i] = data[i] is (byte)'\r' or (byte)'\n' ? data[i] : Redacted;
                }

                _filter.Push(copy.AsSpan(0, data.Length), _output);
                ArrayPool<byte>.Shared.Return(copy);
            }
            else
            {
                _filter.Push(data, _output);
            }

            WriteOut();
        }
    }

    /// <summary>The session ends: what is held is recorded by the delay rule.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            _filter.Complete(_output);
            WriteOut();
        }

        _holdTimer?.Dispose();
    }

    public void Dispose()
    {
        // Under the gate, so a firing that is already running re-arms the timer before it is disposed, never after.
        lock (_gate)
        {
            _completed = true;
        }

        _holdTimer?.Dispose();
    }

    private void WriteOut()
    {
        _generation++;
        if (_output.WrittenCount > 0)
        {
            _journal.Input(_output.WrittenSpan);
            _output.Clear();
        }

        if (!_completed && _filter.HasHeldBytes && _holdTimer is not null)
        {
            _armedGeneration = _generation;
            _armedAt = _time.GetTimestamp();
            if (!_timerArmed)
            {
                _timerArmed = true;
                _holdTimer.Change(_filter.HoldDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The timer fired: record what is held if no input came for the hold delay, else wait out the rest.</summary>
    private void FlushOnDelay()
    {
        lock (_gate)
        {
            _timerArmed = false;
            if (_completed || !_filter.HasHeldBytes)
            {
                return;
            }

            var remaining = _filter.HoldDelay - _time.GetElapsedTime(_armedAt);
            if (remaining > TimeSpan.Zero)
            {
                _timerArmed = true;
                _holdTimer?.Change(remaining, Timeout.InfiniteTimeSpan);
            }
            else if (_armedGeneration == _generation)
            {
                _filter.FlushHeld(_output);
                WriteOut();
            }
        }
    }
}
