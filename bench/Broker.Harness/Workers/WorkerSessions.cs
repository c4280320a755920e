using Broker.Harness.Machine;
using Broker.Harness.Measurements;

namespace Broker.Harness.Workers;

/// <summary>One system's sessions, shared among the client workers; typing in them gathers every worker's echoes.</summary>
internal sealed class WorkerSessions : ISessionGroup
{
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromMinutes(5);
    private readonly ClientWorkerPool _pool;
    private readonly WorkerProcess[] _workers;
    private readonly int[] _opened;

    public WorkerSessions(ClientWorkerPool pool, WorkerProcess[] workers, int[] opened, int openFailures)
    {
        _pool = pool;
        _workers = workers;
        _opened = opened;
        OpenFailures = openFailures;
    }

    public int Opened => _opened.Sum();

    public int OpenFailures { get; }

    public async Task<TypingOutcome> TypeAsync(TimeSpan window, TimeSpan period, CancellationToken cancellationToken)
    {
        try
        {
            // Session j of worker k is global session k + j × workers: each worker's keys spread over the whole period.
            for (var k = 0; k < _workers.Length; k++)
            {
                await _workers[k].SendAsync(
                    WorkerProtocol.Format($"{WorkerProtocol.Type} {window.TotalMilliseconds:F0} {period.TotalMilliseconds:F0} {k} {_workers.Length} {Opened}"),
                    cancellationToken).ConfigureAwait(false);
            }

            // A session starts up to a period late, and its last echo may take the echo timeout (5 s).
            var timeout = window + period + TimeSpan.FromMinutes(1);
            var replies = await Task.WhenAll(_workers.Select(w => w.ReceiveAsync(WorkerProtocol.Typed, timeout, cancellationToken))).ConfigureAwait(false);
            var samples = new List<EchoSample>(replies.Sum(r => r.Length));
            var pauses = new List<ClientPause>();
            for (var k = 0; k < replies.Length; k++)
            {
                var pauseCount = WorkerProtocol.Int(replies[k][2]);
                pauses.AddRange(replies[k].Skip(3).Take(pauseCount).Select(p => new ClientPause(k, GcPause.Parse(p))));
                samples.AddRange(replies[k].Skip(3 + pauseCount).Select(s => WorkerProtocol.Sample(s, k)));
            }

            return new TypingOutcome(samples, replies.Sum(r => WorkerProtocol.Int(r[0])), replies.Sum(r => WorkerProtocol.Double(r[1])), pauses);
        }
        catch
        {
            _pool.Abort();
            throw;
        }
    }

    /// <summary>Closes the sessions in every worker; the workers stay for the next measurement.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_pool.Holds(_workers))
        {
            // A failure already killed these workers, and their sessions with them.
            return;
        }

        try
        {
            foreach (var worker in _workers)
            {
                await worker.SendAsync(WorkerProtocol.Close, CancellationToken.None).ConfigureAwait(false);
            }

            await Task.WhenAll(_workers.Select(w => w.ReceiveAsync(WorkerProtocol.Closed, s_closeTimeout, CancellationToken.None))).ConfigureAwait(false);
        }
        catch
        {
            _pool.Abort();
            throw;
        }
    }
}
