using Broker.Postgres;
using Broker.TestSupport.Postgres;
using Npgsql;

namespace Broker.Approvals.Tests.Stores;

/// <summary>One PostgreSQL cluster for every test in the collection; each test takes a database of its own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    /// <summary>A new database with the broker's schema.</summary>
    public async Task<NpgsqlDataSource> MigratedDatabaseAsync(CancellationToken cancellationToken)
    {
        var database = await Cluster.CreateDatabaseAsync();
        var outcome = await SchemaMigrator.MigrateAsync(database, BrokerSchema.Migrations, cancellationToken);
        outcome.Should().BeOfType<MigrationOutcome.Migrated>();
        return database;
    }

    public async Task InitializeAsync() => _cluster = await PostgresCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class UsesPostgres : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
