using Broker.Harness.Machine;

namespace Broker.Harness.Measurements;

/// <summary>One echo: when its key was sent (µs on <see cref="WallClock"/>), how long its echo took (ms), and which client process timed it.</summary>
internal readonly record struct EchoSample(long SentUs, double Ms, int Client)
{
    public long EchoedUs => SentUs + (long)(Ms * 1000);
}

/// <summary>A pause of the client process <paramref name="Client"/> (a client worker's index; 0 for the harness's own process).</summary>
internal readonly record struct ClientPause(int Client, GcPause Pause);

/// <summary>
/// Which of a typing window's slowest echoes (the slowest 1 %, the ones the p99 is made of) met a pause of the server's
/// runtime, of the client process that timed them, of both, or of neither. A pause met is one that overlaps the echo's
/// interval (key sent to echo read): while the server is stopped its echo cannot be written, while the client is stopped
/// it cannot be read. These are counts of coincidences on one clock, so the machine's load cannot make a pause appear
/// where there was none; it can make a pause longer, and an echo slower for reasons that are neither (the run queue).
/// </summary>
internal sealed record TailAttribution(
    int Tail,
    int ServerOnly,
    int ClientOnly,
    int Both,
    int Neither,
    double AllMetServer,
    double AllMetClient,
    double? P99WithoutPauses,
    PauseSummary Server,
    PauseSummary Client)
{
    /// <summary>The fraction of all samples counted as the tail (nearest rank, as the p99).</summary>
    public const double TailFraction = 0.01;

    /// <param name="serverPauses">The server's pauses in the window, or null when its runtime's were not recorded (not the broker, or no log).</param>
    public static TailAttribution? Of(IReadOnlyList<EchoSample> samples, IReadOnlyList<ClientPause> clientPauses, IReadOnlyList<GcPause>? serverPauses)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        var server = serverPauses ?? [];
        var byClient = clientPauses.GroupBy(p => p.Client).ToDictionary(g => g.Key, g => g.Select(p => p.Pause).ToArray());
        bool MetServer(EchoSample s) => Overlaps(server, s);
        bool MetClient(EchoSample s) => byClient.TryGetValue(s.Client, out var own) && Overlaps(own, s);

        var tailCount = Math.Max(1, (int)Math.Ceiling(samples.Count * TailFraction));
        var tail = samples.OrderByDescending(s => s.Ms).Take(tailCount).ToArray();
        int serverOnly = 0, clientOnly = 0, both = 0, neither = 0;
        foreach (var sample in tail)
        {
            switch ((MetServer(sample), MetClient(sample)))
            {
                case (true, true): both++; break;
                case (true, false): serverOnly++; break;
                case (false, true): clientOnly++; break;
                default: neither++; break;
            }
        }

        var untouched = samples.Where(s => !MetServer(s) && !MetClient(s)).Select(s => s.Ms).ToArray();
        return new TailAttribution(
            tailCount,
            serverOnly,
            clientOnly,
            both,
            neither,
            samples.Count(MetServer) / (double)samples.Count,
            samples.Count(MetClient) / (double)samples.Count,
            Percentiles.Of(untouched)?.P99,
            PauseSummary.Of(server),
            PauseSummary.Of([.. clientPauses.Select(p => p.Pause)]));
    }

    private static bool Overlaps(IReadOnlyList<GcPause> pauses, EchoSample sample)
    {
        var echoed = sample.EchoedUs;
        foreach (var pause in pauses)
        {
            if (pause.StartUs <= echoed && pause.EndUs >= sample.SentUs)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Pauses in a window: how many, their total and longest length (ms), and how many were collections (generation ≥ 0).</summary>
internal sealed record PauseSummary(int Count, int Collections, double TotalMs, double LongestMs)
{
    public static PauseSummary Of(IReadOnlyList<GcPause> pauses) => new(
        pauses.Count,
        pauses.Count(p => p.Generation >= 0),
        pauses.Sum(p => p.LengthUs) / 1000.0,
        pauses.Count == 0 ? 0 : pauses.Max(p => p.LengthUs) / 1000.0);
}
