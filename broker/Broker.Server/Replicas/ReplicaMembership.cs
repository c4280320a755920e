using System.Threading.Channels;
using Broker.Approvals;
using Broker.Core.Sessions;
using Broker.Server.Approvals;
using Broker.Postgres;
using Npgsql;

namespace Broker.Server.Replicas;

/// <summary>
/// This replica's place in the registry. At start, before any call is served: it withdraws the pending approvals its
/// previous run (same id) left, clears that run's session rows and registers. Then, every heartbeat interval and
/// whenever a session starts or ends or a command starts or stops waiting for a decision here, it heartbeats, makes
/// the registry's rows for this replica what it holds (which also repairs any drift), and reaps replicas silent for
/// longer than the dead-after window, withdrawing the pending approvals of the sessions they held. At a clean stop it
/// unregisters. Failures to reach the database are logged and retried at the next beat.
/// </summary>
internal sealed partial class ReplicaMembership : BackgroundService
{
    private readonly ReplicaRegistry _registry;
    private readonly ReplicaIdentity _identity;
    private readonly SessionManager _sessions;
    private readonly WaitingCommands _waiting;
    private readonly ApprovalCoordinator _approvals;
    private readonly Func<string?> _boundAddress;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private string _address;

    public ReplicaMembership(
        ReplicaRegistry registry,
        ReplicaIdentity identity,
        SessionManager sessions,
        WaitingCommands waiting,
        ApprovalCoordinator approvals,
        Func<string?> boundAddress,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        ILogger<ReplicaMembership> logger)
    {
        _registry = registry;
        _identity = identity;
        _sessions = sessions;
        _waiting = waiting;
        _approvals = approvals;
        _boundAddress = boundAddress;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
        _address = identity.Advertise ?? string.Empty;
    }

    /// <summary>Raised after each completed beat (heartbeat, reconcile, reap), for tests and diagnostics.</summary>
    public event Action? Beat;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var locations = (await _registry.ListAsync(null, null, cancellationToken).ConfigureAwait(false)).ToDictionary(l => l.Session.Id, StringComparer.Ordinal);
        var withdrawn = await _approvals.WithdrawOrphanedAsync(
            r => OrphanedApprovals.IsOrphaned(r, locations.GetValueOrDefault(r.SessionId), _identity.Id),
            "the session ended with the replica that held it before a decision",
            cancellationToken).ConfigureAwait(false);
        var left = locations.Values.Count(l => l.Session.ReplicaId == _identity.Id);

        // The id was claimed for this process before the host was built (StoreMigration); the previous run's session
        // rows go (none of them runs any more), under that claim, so a live holder's rows are never touched.
        await ClaimAsync(cancellationToken).ConfigureAwait(false);
        await _registry.RemoveSessionsAsync(_identity.Id, _identity.Instance, cancellationToken).ConfigureAwait(false);
        LogRegistered(_logger, _identity.Id, left, withdrawn);
        _sessions.Registry.Changed += Wake;
        _waiting.Changed += Wake;
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _sessions.Registry.Changed -= Wake;
        _waiting.Changed -= Wake;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _registry.UnregisterAsync(_identity.Id, _identity.Instance, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The others reap this replica after the dead-after window instead.
            LogBeatFailed(_logger, "unregister", e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
            if (_identity.Advertise is null && _boundAddress() is { } bound)
            {
                // Without a configured address, the first one the server bound (its real port, when it was 0).
                _address = bound;
                await ClaimAsync(stoppingToken).ConfigureAwait(false);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                await BeatAsync(stoppingToken).ConfigureAwait(false);
                // Waiting does not take the wake: it is drained below, so a start or end during the beat is not lost.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                await Task.WhenAny(Task.Delay(_identity.HeartbeatInterval, _time, wait.Token), _wake.Reader.WaitToReadAsync(wait.Token).AsTask()).ConfigureAwait(false);
                _wake.Reader.TryRead(out _);
                await wait.CancelAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ClaimAsync(CancellationToken cancellationToken)
    {
        var claim = await _registry.ClaimAsync(_identity.Id, _identity.Instance, _address, cancellationToken).ConfigureAwait(false);
        if (!claim.Claimed)
        {
            throw new InvalidOperationException($"replica id '{_identity.Id}' was taken by another running broker (instance {claim.Holder}) while this one started");
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task WhenStartedAsync(CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            switch (await _registry.HeartbeatAsync(_identity.Id, _identity.Instance, cancellationToken).ConfigureAwait(false))
            {
                case ReplicaBeat.Reaped:
                    // Reaped while silent (a pause longer than the window): register again and put the running sessions back.
                    LogReregistered(_logger, _identity.Id);
                    await ClaimAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case ReplicaBeat.TakenOver:
                    // Silent past the window, and another process started with this id since: two brokers must not serve as one replica.
                    LogTakenOver(_logger, _identity.Id);
                    _lifetime.StopApplication();
                    return;
            }

            await ReconcileAsync(cancellationToken).ConfigureAwait(false);
            foreach (var session in await _registry.ReapAsync(cancellationToken).ConfigureAwait(false))
            {
                var withdrawn = await _approvals.WithdrawForEndedSessionAsync(
                    session.Id, $"the session ended with replica '{session.ReplicaId}' (it stopped heartbeating) before a decision", cancellationToken).ConfigureAwait(false);
                LogReaped(_logger, session.Id, session.ReplicaId, withdrawn);
            }

            Beat?.Invoke();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            LogBeatFailed(_logger, "heartbeat", e.Message);
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        // What this replica holds: its running sessions, and the commands waiting here for a decision before they open.
        var held = _sessions.Registry.List(includeEnded: false).Where(s => s.IsRunning)
            .Select(s => Row(s.Id, s.Owner.Issuer, s.Owner.Subject, s.Target, s.StartedAt) with { Details = Forwarding.RegistryDetails.Of(s) })
            .Concat(_waiting.Current.Select(w => Row(w.SessionId, w.OwnerIssuer, w.OwnerSubject, w.Target, w.Since)))
            .DistinctBy(s => s.Id)
            .ToDictionary(s => s.Id, StringComparer.Ordinal);
        var listed = await _registry.ListHeldAsync(_identity.Id, cancellationToken).ConfigureAwait(false);
        foreach (var gone in listed.Where(l => !held.ContainsKey(l.Id)))
        {
            await _registry.RemoveSessionAsync(gone.Id, cancellationToken).ConfigureAwait(false);
        }

        var known = listed.ToDictionary(l => l.Id, StringComparer.Ordinal);
        foreach (var session in held.Values)
        {
            if (!known.TryGetValue(session.Id, out var row))
            {
                await _registry.AddSessionAsync(session, cancellationToken).ConfigureAwait(false);
            }
            else if (row.Details != session.Details)
            {
                // A resize (or a waiting command whose session opened) shows on other replicas from the next beat.
                await _registry.UpdateDetailsAsync(session.Id, _identity.Id, session.Details, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private LiveSession Row(string id, string issuer, string subject, string target, DateTimeOffset since) => new()
    {
        Id = id,
        ReplicaId = _identity.Id,
        OwnerIssuer = issuer,
        OwnerSubject = subject,
        Target = target,
        StartedAt = since,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica '{Id}' registered; its previous run left {Sessions} sessions in the registry (removed); {Withdrawn} pending approvals of ended sessions were withdrawn")]
    private static partial void LogRegistered(ILogger logger, string id, int sessions, int withdrawn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica '{Id}' was reaped by another replica while silent; registering again")]
    private static partial void LogReregistered(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Replica '{Id}' is held by another broker process that started after this one stopped heartbeating; stopping")]
    private static partial void LogTakenOver(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {Session} ended with replica '{Replica}', which stopped heartbeating; {Withdrawn} pending approvals withdrawn")]
    private static partial void LogReaped(ILogger logger, string session, string replica, int withdrawn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica registry: {What} failed ({Reason}); retrying at the next beat")]
    private static partial void LogBeatFailed(ILogger logger, string what, string reason);
}
