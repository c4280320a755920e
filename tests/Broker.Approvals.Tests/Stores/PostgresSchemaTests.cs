using Broker.Postgres;
using Npgsql;

namespace Broker.Approvals.Tests.Stores;

/// <summary>Schema migrations on a real PostgreSQL server: once, in order, safe when replicas start together.</summary>
[Collection(UsesPostgres.Name)]
public sealed class PostgresSchemaTests(PostgresFixture postgres) : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task Eight_replicas_starting_at_once_apply_each_migration_exactly_once()
    {
        await using var database = await postgres.Cluster.CreateDatabaseAsync();
        var migrations = Migrations(3);

        using var go = new ManualResetEventSlim();
        var replicas = Enumerable.Range(0, 8).Select(_ => Task.Run(
            async () =>
            {
                // Each replica has its own pool, as separate processes would.
                await using var own = NpgsqlDataSource.Create(database.ConnectionString);
                go.Wait(Ct);
                return await SchemaMigrator.MigrateAsync(own, migrations, Ct);
            },
            Ct)).ToList();
        go.Set();
        var outcomes = await Task.WhenAll(replicas).WaitAsync(Ct);

        outcomes.Should().AllBeOfType<MigrationOutcome.Migrated>().And.AllSatisfy(o => ((MigrationOutcome.Migrated)o).Version.Should().Be(3));
        outcomes.Cast<MigrationOutcome.Migrated>().SelectMany(o => o.Applied).Select(m => m.Version).Should().BeEquivalentTo([1, 2, 3]);
        (await Scalar(database, "SELECT string_agg(version::text, ',' ORDER BY version) FROM broker_schema_migrations")).Should().Be("1,2,3");
        (await Scalar(database, "SELECT count(*) FROM step_log")).Should().Be(2L, "the second and third steps each ran once");
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_broker_is_refused_and_left_unchanged()
    {
        await using var database = await postgres.Cluster.CreateDatabaseAsync();
        (await SchemaMigrator.MigrateAsync(database, Migrations(3), Ct)).Should().BeOfType<MigrationOutcome.Migrated>();

        var outcome = await SchemaMigrator.MigrateAsync(database, Migrations(2), Ct);

        outcome.Should().BeOfType<MigrationOutcome.Refused>().Which.Reason.Should().Contain("version 3").And.Contain("upgrade the broker");
        (await Scalar(database, "SELECT count(*) FROM broker_schema_migrations")).Should().Be(3L);
    }

    [Fact]
    public async Task A_later_broker_applies_only_the_steps_that_are_new()
    {
        await using var database = await postgres.Cluster.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(database, Migrations(2), Ct);

        var outcome = await SchemaMigrator.MigrateAsync(database, Migrations(3), Ct);

        outcome.Should().BeOfType<MigrationOutcome.Migrated>().Which.Applied.Select(m => m.Version).Should().Equal(3);
    }

    [Fact]
    public async Task A_failing_step_leaves_the_database_at_the_version_before_it()
    {
        await using var database = await postgres.Cluster.CreateDatabaseAsync();
        await SchemaMigrator.MigrateAsync(database, Migrations(1), Ct);
        List<Migration> broken = [.. Migrations(2), new(3, "broken", "CREATE TABLE half_done (x INT); SELECT no_such_function();")];

        var attempt = () => SchemaMigrator.MigrateAsync(database, broken, Ct);

        await attempt.Should().ThrowAsync<PostgresException>();
        (await Scalar(database, "SELECT max(version) FROM broker_schema_migrations")).Should().Be(1);
        (await Scalar(database, "SELECT to_regclass('half_done') IS NULL")).Should().Be(true);
    }

    [Fact]
    public async Task The_broker_schema_creates_the_approvals_table()
    {
        await using var database = await postgres.Cluster.CreateDatabaseAsync();

        await SchemaMigrator.MigrateAsync(database, BrokerSchema.Migrations, Ct);

        (await Scalar(database, "SELECT to_regclass('approval_requests') IS NOT NULL")).Should().Be(true);
    }

    [Fact]
    public async Task Migrations_out_of_order_are_a_programming_error()
    {
        await using var database = await postgres.Cluster.CreateDatabaseAsync();

        var attempt = () => SchemaMigrator.MigrateAsync(database, [new(2, "two", "SELECT 1")], Ct);

        await attempt.Should().ThrowAsync<ArgumentException>();
    }

    // Step 1 makes a log table; every later step writes one row to it, so a step that ran twice shows.
    private static List<Migration> Migrations(int count) =>
        [new(1, "log", "CREATE TABLE step_log (step INT PRIMARY KEY)"), .. Enumerable.Range(2, count - 1).Select(v => new Migration(v, $"step {v}", $"INSERT INTO step_log VALUES ({v})"))];

    private async Task<object?> Scalar(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return await command.ExecuteScalarAsync(Ct);
    }
}
