using System.Collections.Concurrent;
using System.Diagnostics;
using Broker.Harness.Machine;
using Broker.Harness.Systems;
using Broker.Harness.Terminals;

namespace Broker.Harness.Measurements;

/// <summary>
/// Sessions whose client side runs in this process: the whole measurement's with <c>--client-workers 0</c>, or one
/// client worker's share of it.
/// </summary>
internal sealed class InProcessSessions : ISessionGroup
{
    private static readonly TimeSpan s_echoTimeout = TimeSpan.FromSeconds(5);
    private readonly ITerminal[] _terminals;

    private InProcessSessions(ITerminal[] terminals, int openFailures)
    {
        _terminals = terminals;
        OpenFailures = openFailures;
    }

    public int Opened => _terminals.Length;

    public int OpenFailures { get; }

    /// <summary>Opens <paramref name="count"/> terminals, <paramref name="parallel"/> at a time; the first three failures are logged.</summary>
    public static async Task<InProcessSessions> OpenAsync(ISystemUnderTest system, int count, int parallel, TextWriter log, CancellationToken cancellationToken)
    {
        var terminals = new ConcurrentBag<ITerminal>();
        var openFailures = 0;
        using var gate = new SemaphoreSlim(parallel);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                terminals.Add(await system.OpenTerminalAsync(cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (Interlocked.Increment(ref openFailures) <= 3)
                {
                    log.WriteLine($"  {system.Name}: a session did not open: {ex.Message}");
                }
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        return new InProcessSessions([.. terminals], openFailures);
    }

    public Task<TypingOutcome> TypeAsync(TimeSpan window, TimeSpan period, CancellationToken cancellationToken) =>
        TypeAsync(window, period, new Stagger(0, 1, Opened), cancellationToken);

    /// <summary>
    /// Types in every session, each starting at its <paramref name="stagger"/> offset in the period; <paramref name="client"/>
    /// names this process in the samples and in its runtime's pauses.
    /// </summary>
    public async Task<TypingOutcome> TypeAsync(TimeSpan window, TimeSpan period, Stagger stagger, CancellationToken cancellationToken, int client = 0)
    {
        var pauses = GcPauses.InThisProcess;
        var latencies = new ConcurrentQueue<EchoSample>();
        var from = WallClock.Now();
        var unresponsive = 0;
        await Task.WhenAll(_terminals.Select((terminal, index) => Task.Run(async () =>
        {
            if (!await TypePeriodicallyAsync(terminal, stagger.Offset(index, period), window, period, client, latencies, cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Increment(ref unresponsive);
            }
        }, cancellationToken))).ConfigureAwait(false);
        var to = WallClock.Now();
        IReadOnlyList<ClientPause> own = [.. pauses.Between(from, to).Select(p => new ClientPause(client, p))];
        return new TypingOutcome([.. latencies], unresponsive, 0, own);
    }

    public async ValueTask DisposeAsync()
    {
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(_terminals.Select(async terminal =>
        {
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await terminal.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Returns false if any echo did not come back in time.</summary>
    private static async Task<bool> TypePeriodicallyAsync(ITerminal terminal, TimeSpan offset, TimeSpan window, TimeSpan period, int client, ConcurrentQueue<EchoSample> latencies, CancellationToken cancellationToken)
    {
        // Spread the sessions over the period so the keys arrive as a steady stream, not a burst.
        await Task.Delay(offset, cancellationToken).ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var key = new byte[1];
        var i = 0;
        var responsive = true;
        while (Stopwatch.GetTimestamp() < end)
        {
            var due = Stopwatch.GetTimestamp() + (long)(period.TotalSeconds * Stopwatch.Frequency);
            key[0] = (byte)('a' + (i++ % 26));
            var echoed = terminal.Output.Expect(key);
            var sent = Stopwatch.GetTimestamp();
            try
            {
                await terminal.SendAsync(key, cancellationToken).ConfigureAwait(false);
                await echoed.WaitAsync(s_echoTimeout, cancellationToken).ConfigureAwait(false);
                latencies.Enqueue(new EchoSample(WallClock.FromTimestamp(sent), Stopwatch.GetElapsedTime(sent).TotalMilliseconds, client));
            }
            catch (Exception ex) when (ex is TimeoutException or IOException)
            {
                responsive = false;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }

        return responsive;
    }
}
