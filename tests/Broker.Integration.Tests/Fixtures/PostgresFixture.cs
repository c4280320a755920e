using Broker.Postgres;
using Broker.TestSupport.Postgres;
using Npgsql;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>One throwaway PostgreSQL cluster for every test in the collection; each test takes a database of its own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;

    /// <summary>A new database with the broker's schema.</summary>
    public async Task<NpgsqlDataSource> MigratedDatabaseAsync(CancellationToken cancellationToken)
    {
        var cluster = _cluster ?? throw new InvalidOperationException("the cluster has not started");
        var database = await cluster.CreateDatabaseAsync();
        (await SchemaMigrator.MigrateAsync(database, BrokerSchema.Migrations, cancellationToken)).Should().BeOfType<MigrationOutcome.Migrated>();
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
