using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Broker.Approvals;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Broker.Postgres;

/// <summary>
/// Tells this replica's coordinator of every change another replica makes to a request, over PostgreSQL's
/// <c>LISTEN</c>/<c>NOTIFY</c> on a connection of its own. Notifications are not durable: after a lost connection it
/// reconnects (waiting longer each time, up to <see cref="MaxRetryDelay"/>) and has the coordinator re-read every
/// request someone here waits on, so a decision made while it was away still reaches its requester.
/// </summary>
public sealed partial class ApprovalChangeListener
{
    private const int QueuedChanges = 1024;

    /// <summary>The longest wait between two attempts to reconnect.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    private readonly NpgsqlDataSource _database;
    private readonly ApprovalCoordinator _coordinator;
    private readonly string _replicaId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>
    /// A listener for the coordinator of replica <paramref name="replicaId"/>; the replica's own data source must name it
    /// as its <c>application_name</c>, so that its own changes (which its coordinator announced already) are passed over.
    /// </summary>
    public ApprovalChangeListener(NpgsqlDataSource database, ApprovalCoordinator coordinator, string replicaId, TimeProvider time, ILogger<ApprovalChangeListener> logger)
    {
        _database = database;
        _coordinator = coordinator;
        _replicaId = replicaId;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised once each time the listener is listening (first, and after every reconnect), for tests and the log.</summary>
    public event Action? Listening;

    /// <summary>Listens until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var first = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var pending = Channel.CreateBounded<(string Id, long Version)>(new BoundedChannelOptions(QueuedChanges) { SingleReader = true });
                var overflowed = new StrongBox<bool>();
                connection.Notification += (_, e) =>
                {
                    // A burst beyond the queue is not dropped silently: the relay re-reads what waiters need instead.
                    if (ApprovalNotifications.Parse(e.Payload) is { } change && change.Writer != _replicaId && !pending.Writer.TryWrite((change.Id, change.Version)))
                    {
                        Volatile.Write(ref overflowed.Value, true);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {ApprovalNotifications.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (!first)
                {
                    await _coordinator.RefreshWaitersAsync(cancellationToken).ConfigureAwait(false);
                }

                first = false;
                delay = TimeSpan.FromMilliseconds(100);
                Listening?.Invoke();
                var relay = RelayAsync(pending.Reader, overflowed, cancellationToken);
                try
                {
                    while (true)
                    {
                        await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    pending.Writer.TryComplete();
                    await relay.ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                LogLost(_logger, delay.TotalSeconds, e.Message);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    // Notifications arrive on the connection's reader; re-reading the request there would wait on that same connection.
    private async Task RelayAsync(ChannelReader<(string Id, long Version)> changes, StrongBox<bool> overflowed, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (id, version) in changes.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await _coordinator.AnnounceRemoteChangeAsync(id, version, cancellationToken).ConfigureAwait(false);
                if (Volatile.Read(ref overflowed.Value))
                {
                    Volatile.Write(ref overflowed.Value, false);
                    await _coordinator.RefreshWaitersAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or OperationCanceledException)
        {
            // The listening loop reconnects (or is stopping) and re-reads what waiters need.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Approval notifications from other replicas: connection lost; reconnecting in {Seconds} s ({Reason})")]
    private static partial void LogLost(ILogger logger, double seconds, string reason);
}
