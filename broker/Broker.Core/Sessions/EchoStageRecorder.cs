using System.Diagnostics;
using System.Globalization;

namespace Broker.Core.Sessions;

/// <summary>
/// The stamps behind <see cref="EchoStages"/>: one key followed at a time, its stages stamped once each, the record kept
/// in a fixed ring once its response frame is written. Not thread-safe beyond that: the stages of one key come one
/// after another, and the bench sends the next key only after the echo.
/// </summary>
internal sealed class EchoStageRecorder(int capacity, Func<long> clock)
{
    private const int StageCount = (int)EchoStages.Stage.FrameWritten + 1;
    private readonly long[] _ring = new long[capacity * StageCount];
    private readonly long[] _current = new long[StageCount];
    private object? _session;
    private int _count;

    /// <summary>Echoes recorded (the ring keeps the last <c>capacity</c>).</summary>
    public int Count => _count;

    /// <summary>A one-key frame of <paramref name="session"/> arrived: the stamps start over for it.</summary>
    public void KeyReceived(object session)
    {
        Array.Clear(_current);
        _current[(int)EchoStages.Stage.KeyReceived] = clock();
        Volatile.Write(ref _session, session);
    }

    /// <summary>Stamps <paramref name="stage"/> if <paramref name="session"/> (null: any) is the followed key's and the stage is not stamped yet.</summary>
    public void Mark(object? session, EchoStages.Stage stage)
    {
        if (Volatile.Read(ref _session) is not { } followed || (session is not null && !ReferenceEquals(followed, session)) || _current[(int)stage] != 0)
        {
            return;
        }

        _current[(int)stage] = clock();
        if (stage == EchoStages.Stage.FrameWritten)
        {
            Volatile.Write(ref _session, null);
            var at = _count++ % capacity;
            Array.Copy(_current, 0, _ring, at * StageCount, StageCount);
        }
    }

    /// <summary>A header, then a line per recorded echo with a tick count per stage (0: not stamped).</summary>
    public void WriteTo(TextWriter writer)
    {
        writer.WriteLine("# " + string.Join(' ', Enum.GetNames<EchoStages.Stage>()) + " (Stopwatch ticks, frequency " + Stopwatch.Frequency.ToString(CultureInfo.InvariantCulture) + ")");
        var count = Math.Min(_count, capacity);
        for (var i = 0; i < count * StageCount; i++)
        {
            writer.Write(_ring[i].ToString(CultureInfo.InvariantCulture));
            writer.Write((i + 1) % StageCount == 0 ? '\n' : ' ');
        }
    }
}
