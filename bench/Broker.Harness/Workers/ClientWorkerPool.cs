namespace Broker.Harness.Workers;

/// <summary>
/// Client worker processes, copies of the harness started with <c>--client-worker K</c>, among which the concurrency
/// measurement shares every system's sessions. One process holding the client side of 1,000 broker sessions collected
/// every 1.3 s in a typing window (~8.7 KB allocated per key, docs/BENCHMARKS.md 2026-12-06 17:20), and an echo that
/// arrived during a pause was timed late; shared among workers, a worker's pause delays only its own share's echoes.
/// The workers live as long as the pool, so the warm-up round warms their client code as it warms the servers. After
/// any failure they are killed, and the next measurement starts new ones.
/// </summary>
internal sealed class ClientWorkerPool : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(2);
    private readonly string _executable;
    private readonly IReadOnlyList<string> _arguments;
    private readonly TextWriter _log;
    private WorkerProcess[]? _workers;

    /// <param name="count">Worker processes.</param>
    /// <param name="harnessArguments">The harness's own arguments, which each worker parses as the harness did.</param>
    public ClientWorkerPool(int count, IReadOnlyList<string> harnessArguments, TextWriter log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _log = log;
        _executable = Environment.ProcessPath ?? throw new InvalidOperationException("the harness's own executable is unknown");
        // Run as `dotnet Broker.Harness.dll`, the workers need the assembly named too.
        _arguments = Path.GetFileNameWithoutExtension(_executable) == "dotnet"
            ? [typeof(ClientWorkerPool).Assembly.Location, .. harnessArguments]
            : harnessArguments;
    }

    public int Count { get; }

    /// <summary>The process ids of the workers running now (none before the first measurement starts them).</summary>
    public IReadOnlyList<int> ProcessIds => _workers?.Select(w => w.ProcessId).ToList() ?? [];

    /// <summary>
    /// Opens <paramref name="sessions"/> sessions on the system named <paramref name="system"/>, shared as evenly as they
    /// go among the workers, <paramref name="parallel"/> at a time over all of them.
    /// </summary>
    public async Task<WorkerSessions> OpenAsync(string system, int sessions, int parallel, CancellationToken cancellationToken)
    {
        var workers = await StartedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var perWorker = Math.Max(1, parallel / workers.Length);
            for (var k = 0; k < workers.Length; k++)
            {
                var share = (sessions / workers.Length) + (k < sessions % workers.Length ? 1 : 0);
                await workers[k].SendAsync(WorkerProtocol.Format($"{WorkerProtocol.Open} {share} {perWorker} {system}"), cancellationToken).ConfigureAwait(false);
            }

            // Opening is paced by the server (a first 1,000-session run also creates the session accounts): 5 s a session at most.
            var timeout = TimeSpan.FromSeconds(60 + (5.0 * sessions / parallel));
            var replies = await Task.WhenAll(workers.Select(w => w.ReceiveAsync(WorkerProtocol.Opened, timeout, cancellationToken))).ConfigureAwait(false);
            return new WorkerSessions(
                this,
                workers,
                [.. replies.Select(r => WorkerProtocol.Int(r[0]))],
                replies.Sum(r => WorkerProtocol.Int(r[1])));
        }
        catch
        {
            Abort();
            throw;
        }
    }

    /// <summary>Kills every worker (after a failure their state is unknown); the next measurement starts new ones.</summary>
    internal void Abort()
    {
        if (_workers is not { } workers)
        {
            return;
        }

        _workers = null;
        foreach (var worker in workers)
        {
            worker.Kill();
            _ = worker.DisposeAsync().AsTask();
        }
    }

    internal bool Holds(WorkerProcess[] workers) => ReferenceEquals(_workers, workers);

    /// <summary>Stops the workers and returns what went wrong with any of them (empty when they all exited cleanly).</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        if (_workers is not { } workers)
        {
            return [];
        }

        _workers = null;
        var problems = await Task.WhenAll(workers.Select(w => w.StopAsync())).ConfigureAwait(false);
        foreach (var worker in workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }

        return [.. problems.OfType<string>()];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var problem in await StopAsync().ConfigureAwait(false))
        {
            _log.WriteLine($"   {problem}");
        }
    }

    private async Task<WorkerProcess[]> StartedAsync(CancellationToken cancellationToken)
    {
        if (_workers is { } running)
        {
            return running;
        }

        _log.WriteLine($"   starting {Count} client worker processes");
        var workers = new WorkerProcess[Count];
        try
        {
            for (var k = 0; k < Count; k++)
            {
                workers[k] = WorkerProcess.Start(k, _executable, _arguments, _log);
            }

            await Task.WhenAll(workers.Select(w => w.ReceiveAsync(WorkerProtocol.Ready, s_startTimeout, cancellationToken))).ConfigureAwait(false);
        }
        catch
        {
            foreach (var worker in workers.OfType<WorkerProcess>())
            {
                worker.Kill();
                await worker.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        _workers = workers;
        return workers;
    }
}
