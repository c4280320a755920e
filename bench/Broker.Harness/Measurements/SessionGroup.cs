namespace Broker.Harness.Measurements;

/// <summary>
/// The concurrency measurement's open sessions on one system, wherever their client side runs: in the harness's own
/// process (<see cref="InProcessSessions"/>) or shared among client worker processes (<c>Workers.WorkerSessions</c>).
/// Disposing closes them.
/// </summary>
internal interface ISessionGroup : IAsyncDisposable
{
    /// <summary>Sessions that opened and drew their prompt.</summary>
    int Opened { get; }

    /// <summary>Sessions that failed to open.</summary>
    int OpenFailures { get; }

    /// <summary>Every open session types one key per <paramref name="period"/> for <paramref name="window"/> and times each echo.</summary>
    Task<TypingOutcome> TypeAsync(TimeSpan window, TimeSpan period, CancellationToken cancellationToken);
}

/// <summary>
/// What a typing window gave: every echo (its send time and latency), the sessions of which an echo did not come back
/// within the timeout, the CPU the client worker processes spent in the window (0 when the client side ran in the
/// harness, whose own CPU the measurement reads itself), and the client processes' runtime pauses in the window.
/// </summary>
internal sealed record TypingOutcome(IReadOnlyList<EchoSample> Samples, int Unresponsive, double WorkerCpuSeconds, IReadOnlyList<ClientPause> ClientPauses)
{
    /// <summary>Every echo's latency, ms.</summary>
    public IReadOnlyCollection<double> Latencies => [.. Samples.Select(s => s.Ms)];
}

/// <summary>
/// Where in the period each session types its key: session <c>j</c> of a group is global session
/// <c>First + j × Stride</c> of <c>Total</c>, so that sessions shared among workers still spread evenly over the period.
/// </summary>
internal readonly record struct Stagger(int First, int Stride, int Total)
{
    public TimeSpan Offset(int session, TimeSpan period)
    {
        var total = Math.Max(1, Total);
        return period * ((First + (session * Stride)) % total) / total;
    }
}
