using Broker.Postgres;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Broker.Approvals.Tests.Stores;

/// <summary>
/// Two processes with one replica id, on a real PostgreSQL server (separate connection pools, one faked clock): the
/// second is refused while the first heartbeats, and leaves its row and sessions alone; once the first has been silent
/// past the dead-after window the second takes the id over, and the first learns it on its next heartbeat.
/// </summary>
[Collection(UsesPostgres.Name)]
public sealed class ReplicaClaimTests(PostgresFixture postgres) : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource _database = null!;
    private NpgsqlDataSource _otherPool = null!;
    private ReplicaRegistry _first = null!;
    private ReplicaRegistry _second = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _database = await postgres.MigratedDatabaseAsync(Ct);
        _otherPool = NpgsqlDataSource.Create(_database.ConnectionString);
        _first = new ReplicaRegistry(_database, _time);
        _second = new ReplicaRegistry(_otherPool, _time);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        await _otherPool.DisposeAsync();
    }

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task A_second_instance_is_refused_while_the_first_heartbeats_and_touches_nothing()
    {
        (await _first.ClaimAsync("replica-a", "instance-1", "https://a-1:7443", Ct)).Claimed.Should().BeTrue();
        (await _first.AddSessionAsync(Session("s-1"), Ct)).Should().BeTrue();
        _time.Advance(TimeSpan.FromSeconds(20));
        (await _first.HeartbeatAsync("replica-a", "instance-1", Ct)).Should().Be(ReplicaBeat.Held);

        var refused = await _second.ClaimAsync("replica-a", "instance-2", "https://a-2:7443", Ct);
        await _second.RemoveSessionsAsync("replica-a", "instance-2", Ct);
        await _second.UnregisterAsync("replica-a", "instance-2", Ct);

        refused.Claimed.Should().BeFalse();
        refused.Holder.Should().Be("instance-1");
        refused.HeartbeatAt.Should().Be(_time.GetUtcNow());
        refused.DeadAt.Should().Be(_time.GetUtcNow() + ReplicaRegistry.DefaultDeadAfter);
        var location = await _second.LocateAsync("s-1", Ct);
        location!.Holder.Address.Should().Be("https://a-1:7443", "the holder's row is as it left it");
        (await _first.HeartbeatAsync("replica-a", "instance-1", Ct)).Should().Be(ReplicaBeat.Held);
    }

    [Fact]
    public async Task Once_the_first_is_silent_past_the_window_the_second_takes_over_and_the_first_learns_it()
    {
        (await _first.ClaimAsync("replica-a", "instance-1", "https://a-1:7443", Ct)).Claimed.Should().BeTrue();
        (await _first.AddSessionAsync(Session("s-1"), Ct)).Should().BeTrue();
        _time.Advance(ReplicaRegistry.DefaultDeadAfter + TimeSpan.FromSeconds(1));

        (await _second.ClaimAsync("replica-a", "instance-2", "https://a-2:7443", Ct)).Claimed.Should().BeTrue();
        await _second.RemoveSessionsAsync("replica-a", "instance-2", Ct);

        (await _second.LocateAsync("s-1", Ct)).Should().BeNull("the new instance cleared what the previous run left");
        (await _first.HeartbeatAsync("replica-a", "instance-1", Ct)).Should().Be(ReplicaBeat.TakenOver);
        await _first.UnregisterAsync("replica-a", "instance-1", Ct);
        (await _second.HeartbeatAsync("replica-a", "instance-2", Ct)).Should().Be(ReplicaBeat.Held, "the stale instance's stop removed nothing of the new one's");
    }

    [Fact]
    public async Task Of_two_instances_claiming_a_free_id_at_once_exactly_one_wins()
    {
        for (var round = 0; round < 10; round++)
        {
            var id = $"replica-{round}";
            var claims = await Task.WhenAll(
                _first.ClaimAsync(id, "instance-1", "https://a-1:7443", Ct),
                _second.ClaimAsync(id, "instance-2", "https://a-2:7443", Ct)).WaitAsync(Ct);

            claims.Count(c => c.Claimed).Should().Be(1);
        }
    }

    [Fact]
    public async Task The_same_instance_claims_again_after_being_reaped()
    {
        (await _first.ClaimAsync("replica-a", "instance-1", "https://a-1:7443", Ct)).Claimed.Should().BeTrue();
        _time.Advance(ReplicaRegistry.DefaultDeadAfter + TimeSpan.FromSeconds(1));
        await _second.ReapAsync(Ct);

        (await _first.HeartbeatAsync("replica-a", "instance-1", Ct)).Should().Be(ReplicaBeat.Reaped);
        (await _first.ClaimAsync("replica-a", "instance-1", "https://a-1:7443", Ct)).Claimed.Should().BeTrue();
    }

    private LiveSession Session(string id) => new()
    {
        Id = id,
        ReplicaId = "replica-a",
        OwnerIssuer = "broker-dev",
        OwnerSubject = "agent-1",
        Target = "local",
        StartedAt = _time.GetUtcNow(),
    };
}
