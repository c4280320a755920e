using Broker.Postgres;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Broker.Approvals.Tests.Stores;

/// <summary>The registry of replicas and the sessions they hold, on a real PostgreSQL server, with two replicas' clocks faked.</summary>
[Collection(UsesPostgres.Name)]
public sealed class ReplicaRegistryTests(PostgresFixture postgres) : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero));
    private NpgsqlDataSource _database = null!;
    private NpgsqlDataSource _otherPool = null!;
    private ReplicaRegistry _a = null!;
    private ReplicaRegistry _b = null!;

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        _database = await postgres.MigratedDatabaseAsync(Ct);
        _a = new ReplicaRegistry(_database, _time);
        _otherPool = NpgsqlDataSource.Create(_database.ConnectionString);
        _b = new ReplicaRegistry(_otherPool, _time);
        await _a.RegisterAsync("replica-a", "https://a.internal:7443", Ct);
        await _b.RegisterAsync("replica-b", "https://b.internal:7443", Ct);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        await _otherPool.DisposeAsync();
    }

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task Any_replica_finds_which_replica_holds_a_session()
    {
        (await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1"), Ct)).Should().BeTrue();

        var location = await _b.LocateAsync("s-1", Ct);

        location!.Holder.Id.Should().Be("replica-a");
        location.Holder.Address.Should().Be("https://a.internal:7443");
        location.HolderAlive.Should().BeTrue();
        location.Session.Should().BeEquivalentTo(Session("s-1", "replica-a", "agent-1"));
        (await _b.LocateAsync("s-unknown", Ct)).Should().BeNull();
    }

    [Fact]
    public async Task Lists_are_per_owner_across_replicas_and_an_ended_session_leaves_them()
    {
        await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1"), Ct);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _b.AddSessionAsync(Session("s-2", "replica-b", "agent-1"), Ct);
        await _b.AddSessionAsync(Session("s-3", "replica-b", "agent-2"), Ct);

        (await _a.ListAsync("https://issuer.test", "agent-1", Ct)).Select(l => l.Session.Id).Should().Equal("s-1", "s-2");
        (await _a.ListAsync(null, null, Ct)).Should().HaveCount(3);

        await _b.RemoveSessionAsync("s-2", Ct);
        (await _a.ListAsync("https://issuer.test", "agent-1", Ct)).Select(l => l.Session.Id).Should().Equal("s-1");
    }

    [Fact]
    public async Task A_replica_that_stops_heartbeating_is_reaped_once_with_its_sessions_and_must_register_again()
    {
        await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1"), Ct);
        await _a.AddSessionAsync(Session("s-2", "replica-a", "agent-2"), Ct);
        await _b.AddSessionAsync(Session("s-3", "replica-b", "agent-1"), Ct);

        // Replica b keeps beating; replica a falls silent for longer than DeadAfter.
        _time.Advance(ReplicaRegistry.DefaultDeadAfter - TimeSpan.FromSeconds(5));
        (await _b.HeartbeatAsync("replica-b", Ct)).Should().BeTrue();
        (await _b.ReapAsync(Ct)).Should().BeEmpty("replica a is late, not yet dead");
        _time.Advance(TimeSpan.FromSeconds(10));
        (await _b.LocateAsync("s-1", Ct))!.HolderAlive.Should().BeFalse();
        (await _b.HeartbeatAsync("replica-b", Ct)).Should().BeTrue();

        var reapedTogether = await Task.WhenAll(_a.ReapAsync(Ct), _b.ReapAsync(Ct)).WaitAsync(Ct);

        reapedTogether.SelectMany(r => r).Select(s => s.Id).Should().BeEquivalentTo(["s-1", "s-2"], "each dead replica's sessions come back from exactly one reaper");
        (await _b.LocateAsync("s-1", Ct)).Should().BeNull();
        (await _b.LocateAsync("s-3", Ct))!.HolderAlive.Should().BeTrue();
        (await _a.HeartbeatAsync("replica-a", Ct)).Should().BeFalse("a reaped replica learns it must register again");
        (await _a.AddSessionAsync(Session("s-4", "replica-a", "agent-1"), Ct)).Should().BeFalse("nor may it add sessions until it has");
    }

    [Fact]
    public async Task A_clean_stop_removes_the_replica_and_its_sessions()
    {
        await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1"), Ct);

        await _a.UnregisterAsync("replica-a", Ct);

        (await _b.LocateAsync("s-1", Ct)).Should().BeNull();
    }

    [Fact]
    public async Task A_session_held_elsewhere_reads_back_with_its_kind_roles_and_terminal_size_and_their_updates()
    {
        var details = new LiveSessionDetails("interactive", ["shell-user", "audited"], 120, 40);
        (await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1") with { Details = details }, Ct)).Should().BeTrue();

        var seen = (await _b.LocateAsync("s-1", Ct))!.Session.Details;
        seen.Should().Be(details);
        seen.Roles.Should().Equal("shell-user", "audited");

        var resized = details with { Columns = 80, Rows = 24 };
        (await _a.UpdateDetailsAsync("s-1", "replica-a", resized, Ct)).Should().BeTrue();
        (await _b.ListAsync(null, null, Ct)).Single().Session.Details.Should().Be(resized);
    }

    [Fact]
    public async Task A_replica_updates_the_details_of_its_own_sessions_only()
    {
        var details = new LiveSessionDetails("exec", ["agent"], 0, 0);
        await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1") with { Details = details }, Ct);

        (await _b.UpdateDetailsAsync("s-1", "replica-b", details with { Roles = ["forged"] }, Ct)).Should().BeFalse();
        (await _b.UpdateDetailsAsync("s-gone", "replica-b", details, Ct)).Should().BeFalse();

        (await _a.LocateAsync("s-1", Ct))!.Session.Details.Should().Be(details);
    }

    [Fact]
    public async Task A_row_written_without_details_reads_as_not_known()
    {
        await _a.AddSessionAsync(Session("s-1", "replica-a", "agent-1"), Ct);

        var read = (await _b.LocateAsync("s-1", Ct))!.Session.Details;
        read.Should().Be(LiveSessionDetails.None);
        read.Kind.Should().BeEmpty();
        read.Roles.Should().BeEmpty();
    }

    private LiveSession Session(string id, string replica, string owner) => new()
    {
        Id = id,
        ReplicaId = replica,
        OwnerIssuer = "https://issuer.test",
        OwnerSubject = owner,
        Target = "local",
        StartedAt = _time.GetUtcNow(),
    };
}
