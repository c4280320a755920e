using Broker.Postgres;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using static Broker.Approvals.Tests.ApprovalTestBed;

namespace Broker.Approvals.Tests.Stores;

/// <summary>
/// Two replicas, each with its own coordinator and connection pool over one PostgreSQL database: what one decides
/// the other sees, and decisions made on both at the same instant come out as one consistent outcome.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class ReplicaDecisionTests(PostgresFixture postgres) : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource _first = null!;
    private NpgsqlDataSource _second = null!;
    private ApprovalCoordinator _replicaA = null!;
    private ApprovalCoordinator _replicaB = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _first = await postgres.MigratedDatabaseAsync(Ct);
        _second = NpgsqlDataSource.Create(_first.ConnectionString);
        _replicaA = new ApprovalCoordinator(new PostgresApprovalStore(_first), _time);
        _replicaB = new ApprovalCoordinator(new PostgresApprovalStore(_second), _time);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    public void Dispose()
    {
        _replicaA.Dispose();
        _replicaB.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task A_request_made_on_one_replica_is_approved_on_the_other_and_consumed_once()
    {
        var request = await _replicaA.RequestAsync(Spec(command: "rm shared"), Ct);

        (await _replicaB.ApproveAsync(request.Id, Caller("op-1", ["operators"]), "ok", Ct)).Succeeded.Should().BeTrue();
        var consumedOnA = await _replicaA.TryConsumeAsync(request.Requester, request.Binding, Broker.Policy.Verdict.Review, Ct);
        var consumedOnB = await _replicaB.TryConsumeAsync(request.Requester, request.Binding, Broker.Policy.Verdict.Review, Ct);

        consumedOnA.Succeeded.Should().BeTrue();
        consumedOnB.Succeeded.Should().BeFalse("an approval runs its command once, whichever replica asks");
        (await _replicaB.GetAsync(request.Id, Ct))!.State.Should().Be(ApprovalState.Executed);
    }

    [Fact]
    public async Task An_approve_and_a_deny_on_two_replicas_at_the_same_instant_give_one_outcome_recorded_once()
    {
        for (var round = 0; round < 20; round++)
        {
            var request = await _replicaA.RequestAsync(Spec(command: $"rm race-{round}"), Ct);
            using var go = new ManualResetEventSlim();
            var approve = Task.Run(() => { go.Wait(Ct); return _replicaA.ApproveAsync(request.Id, Caller("op-1", ["operators"]), null, Ct); }, Ct);
            var deny = Task.Run(() => { go.Wait(Ct); return _replicaB.DenyAsync(request.Id, Caller("op-2", ["operators"]), null, Ct); }, Ct);
            go.Set();
            var results = await Task.WhenAll(approve, deny).WaitAsync(Ct);

            var stored = (await _replicaB.GetAsync(request.Id, Ct))!;
            stored.State.Should().BeOneOf(ApprovalState.Approved, ApprovalState.Denied);
            stored.Decisions.Should().ContainSingle("the loser sees the request already decided");
            results.Count(r => r.Succeeded).Should().Be(1);
            var winner = stored.State == ApprovalState.Approved ? results[0] : results[1];
            winner.Succeeded.Should().BeTrue();
        }
    }
}
