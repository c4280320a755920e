using System.Collections.Concurrent;
using System.Globalization;
using Broker.Core.Diagnostics;

namespace Broker.Harness.Machine;

/// <summary>One stop of every thread of a process by its runtime: start on the wall clock (µs since the Unix epoch), length in µs.</summary>
internal readonly record struct GcPause(long StartUs, long LengthUs, int Generation)
{
    public long EndUs => StartUs + LengthUs;

    /// <summary>Parses a line of the broker's pause log (<c>START_US LENGTH_US GENERATION</c>), or the worker protocol's <c>START:LENGTH:GENERATION</c>.</summary>
    public static GcPause Parse(string text)
    {
        var fields = text.Split(' ', ':');
        return new GcPause(
            long.Parse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture),
            long.Parse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture),
            int.Parse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture));
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{StartUs}:{LengthUs}:{Generation}");

    /// <summary>The pauses in the broker's log (bench/run's BROKER_GC_PAUSE_LOG) that overlap [<paramref name="fromUs"/>, <paramref name="toUs"/>].</summary>
    public static IReadOnlyList<GcPause> ReadLog(string path, long fromUs, long toUs)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        var pauses = new List<GcPause>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var pause = Parse(line);
            if (pause.EndUs >= fromUs && pause.StartUs <= toUs)
            {
                pauses.Add(pause);
            }
        }

        return pauses;
    }
}

/// <summary>
/// This process's runtime pauses (collections and other suspensions), stamped on the wall clock so that they line up
/// with the broker's (BROKER_GC_PAUSE_LOG) and with the echo samples' send times (<see cref="WallClock"/>). They are read
/// by the same listener as the broker's log (<see cref="RuntimePauseListener"/>).
/// </summary>
internal sealed class GcPauses : IDisposable
{
    private static readonly Lazy<GcPauses> s_inThisProcess = new(() => new GcPauses());
    private readonly ConcurrentQueue<GcPause> _pauses = new();
    private readonly RuntimePauseListener _listener;

    private GcPauses() =>
        _listener = new RuntimePauseListener(pause => _pauses.Enqueue(new GcPause(
            WallClock.UnixMicroseconds(pause.Start),
            (pause.End - pause.Start).Ticks / TimeSpan.TicksPerMicrosecond,
            pause.Generation)));

    /// <summary>This process's recorder, started on first use and kept for the process's life (one event session, not one per window).</summary>
    public static GcPauses InThisProcess => s_inThisProcess.Value;

    /// <summary>The pauses recorded so far that overlap [<paramref name="fromUs"/>, <paramref name="toUs"/>].</summary>
    public IReadOnlyList<GcPause> Between(long fromUs, long toUs) => [.. _pauses.Where(p => p.EndUs >= fromUs && p.StartUs <= toUs)];

    /// <summary>Stops listening (the process's recorder is kept for the process's life and not disposed).</summary>
    public void Dispose() => _listener.Dispose();
}
