using Broker.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests.Stores;

/// <summary>
/// A command held on one replica and decided on another: the decision reaches the waiting requester and the watchers
/// on the first replica through PostgreSQL notifications, once, and still after the notification connection is cut.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class CrossReplicaApprovalTests(PostgresFixture postgres) : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));
    private readonly CancellationTokenSource _stopListening = new();
    private readonly SemaphoreSlim _listening = new(0);
    private NpgsqlDataSource _migrated = null!;
    private NpgsqlDataSource _poolA = null!;
    private NpgsqlDataSource _poolB = null!;
    private ApprovalCoordinator _replicaA = null!;
    private ApprovalCoordinator _replicaB = null!;
    private Task _listener = Task.CompletedTask;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _migrated = await postgres.MigratedDatabaseAsync(Ct);
        _poolA = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_migrated.ConnectionString) { ApplicationName = "replica-a" }.ConnectionString);
        _poolB = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_migrated.ConnectionString) { ApplicationName = "replica-b" }.ConnectionString);
        _replicaA = new ApprovalCoordinator(new PostgresApprovalStore(_poolA), TimeProvider.System);
        _replicaB = new ApprovalCoordinator(new PostgresApprovalStore(_poolB), TimeProvider.System);
        var listener = new ApprovalChangeListener(_poolA, _replicaA, "replica-a", TimeProvider.System, NullLogger<ApprovalChangeListener>.Instance);
        listener.Listening += () => _listening.Release();
        _listener = listener.RunAsync(_stopListening.Token);
        (await _listening.WaitAsync(TimeSpan.FromMinutes(1), Ct)).Should().BeTrue("the listener connects");
    }

    public async Task DisposeAsync()
    {
        await _stopListening.CancelAsync();
        await _listener.WaitAsync(TimeSpan.FromMinutes(1));
        await _poolA.DisposeAsync();
        await _poolB.DisposeAsync();
        await _migrated.DisposeAsync();
    }

    public void Dispose()
    {
        _replicaA.Dispose();
        _replicaB.Dispose();
        _listening.Dispose();
        _stopListening.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task A_requester_waiting_on_one_replica_gets_the_approval_given_on_another_and_its_watchers_see_each_change_once()
    {
        using var watch = _replicaA.Feed.Subscribe();
        var request = await _replicaA.RequestAsync(Spec(command: "rm held-on-a"), Ct);
        var waiting = _replicaA.WaitForOutcomeAsync(request.Id, Ct);

        (await _replicaB.ApproveAsync(request.Id, Caller("op-1", ["operators"]), "ok", Ct)).Succeeded.Should().BeTrue();

        var outcome = await waiting.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        outcome!.State.Should().Be(ApprovalState.Approved);
        var seen = new List<ApprovalEvent>();
        await foreach (var change in watch.Events.ReadAllAsync(Ct))
        {
            seen.Add(change);
            if (change.Kind == ApprovalEventKind.Approved)
            {
                break;
            }
        }

        seen.Select(e => e.Kind).Should().Equal(ApprovalEventKind.Requested, ApprovalEventKind.Approved);

        // The approved command then runs once on replica A, and B's own notification of that is not echoed back to A.
        (await _replicaA.TryConsumeAsync(request.Requester, request.Binding, Broker.Policy.Verdict.Review, Ct)).Succeeded.Should().BeTrue();
        (await _replicaB.TryConsumeAsync(request.Requester, request.Binding, Broker.Policy.Verdict.Review, Ct)).Succeeded.Should().BeFalse();
    }

    [Fact]
    public async Task A_decision_made_around_a_cut_of_the_notification_connection_still_reaches_the_requester()
    {
        var request = await _replicaA.RequestAsync(Spec(command: "rm during-the-cut"), Ct);
        var waiting = _replicaA.WaitForOutcomeAsync(request.Id, Ct);

        // Cut the listener's connection from the server side, and decide before it is back.
        await using (var cut = _poolB.CreateCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'replica-a' AND query LIKE 'LISTEN%'"))
        {
            (await cut.ExecuteScalarAsync(Ct)).Should().Be(1L);
        }

        (await _replicaB.DenyAsync(request.Id, Caller("op-1", ["operators"]), "no", Ct)).Succeeded.Should().BeTrue();
        (await _listening.WaitAsync(TimeSpan.FromMinutes(1), Ct)).Should().BeTrue("the listener reconnects");

        var outcome = await waiting.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        outcome!.State.Should().Be(ApprovalState.Denied);
    }
}
