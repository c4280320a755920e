using Broker.Approvals.Tests.Stores;
using Npgsql;

namespace Broker.Integration.Tests.Fixtures;

/// <summary>
/// The connection pools of a test that plays several replicas over one migrated database: the first opens a fresh
/// database, each further one is a pool of its own over it (as another process would have), and all are disposed
/// with the test.
/// </summary>
internal sealed class ReplicaPools : IAsyncDisposable
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = "";

    /// <summary>A fresh database of its own, migrated by the broker's schema.</summary>
    public async Task<NpgsqlDataSource> FirstAsync(PostgresFixture postgres, CancellationToken cancellationToken)
    {
        var database = await postgres.MigratedDatabaseAsync(cancellationToken);
        _sources.Add(database);
        _connectionString = database.ConnectionString;
        return database;
    }

    /// <summary>Another pool over the database <see cref="FirstAsync"/> opened.</summary>
    public NpgsqlDataSource Another()
    {
        var database = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(database);
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }
    }
}
