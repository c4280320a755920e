using System.Buffers;

namespace Broker.Core.Sessions;

/// <summary>
/// Records a session's input in its journal through the input filter (the masker): what the agent types is masked
/// like what the program prints, and what it types while the terminal reads a secret (echo off, a line at a time:
/// <c>read -s</c>, sudo, ssh) is recorded redacted, its length kept and its content not (line breaks stay, so the
/// record still shows where a line ended). Held bytes are recorded after the filter's hold delay without input, by the
/// broker's one <see cref="HoldClock"/>: input while the hold is armed moves its due time.
/// </summary>
internal sealed class InputRecorder : IDisposable
{
    private const byte Redacted = (byte)'*';

    private readonly IInputFilter _filter;
    private readonly ISessionJournal _journal;
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _output = new(256);
    private readonly HoldClock.Hold? _hold;
    private readonly TimeProvider _time;
    private long _generation;
    private long _armedGeneration;
    private long _armedAt;
    private bool _redacting;
    private bool _completed;

    public InputRecorder(IInputFilter filter, ISessionJournal journal, HoldClock holds)
    {
        _filter = filter;
        _journal = journal;
        _time = holds.Time;
        _hold = filter.HoldDelay > TimeSpan.Zero ? holds.Register(FlushOnDelay) : null;
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

        _hold?.Dispose();
    }

    public void Dispose()
    {
        // Under the gate, so a firing that is already running schedules the hold again before it is disposed, never
        // after; a firing that reaches the gate after this finds the recorder completed.
        lock (_gate)
        {
            _completed = true;
        }

        _hold?.Dispose();
    }

    private void WriteOut()
    {
        _generation++;
        if (_output.WrittenCount > 0)
        {
            _journal.Input(_output.WrittenSpan);
            _output.Clear();
        }

        if (!_completed && _filter.HasHeldBytes && _hold is not null)
        {
            _armedGeneration = _generation;
            _armedAt = _time.GetTimestamp();
            _hold.Schedule(_filter.HoldDelay);
        }
    }

    /// <summary>The hold fell due: record what is held if no input came for the hold delay, else wait out the rest.</summary>
    private void FlushOnDelay()
    {
        lock (_gate)
        {
            if (_completed || !_filter.HasHeldBytes)
            {
                return;
            }

            var remaining = _filter.HoldDelay - _time.GetElapsedTime(_armedAt);
            if (remaining > TimeSpan.Zero)
            {
                // A firing that read the due time before the last key moved it (or a coarse clock): never strand bytes.
                _hold?.Schedule(remaining);
            }
            else if (_armedGeneration == _generation)
            {
                _filter.FlushHeld(_output);
                WriteOut();
            }
        }
    }
}
