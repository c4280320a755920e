using Broker.Postgres;
using Npgsql;

namespace Broker.Approvals.Tests.Stores;

/// <summary>The store contract on PostgreSQL: a real server, a database of its own per test.</summary>
[Collection(UsesPostgres.Name)]
public sealed class PostgresApprovalStoreContractTests(PostgresFixture postgres) : ApprovalStoreContract
{
    private readonly List<NpgsqlDataSource> _sources = [];
    private string? _connectionString;

    public override async Task DisposeAsync()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    protected override async Task<IApprovalStore> OpenAsync()
    {
        var database = await postgres.MigratedDatabaseAsync(Ct);
        _sources.Add(database);
        _connectionString = database.ConnectionString;
        return new PostgresApprovalStore(database);
    }

    protected override Task<IApprovalStore> OpenSameAsync()
    {
        // A data source of its own: another replica's connection pool over the same database.
        var database = NpgsqlDataSource.Create(_connectionString!);
        _sources.Add(database);
        return Task.FromResult<IApprovalStore>(new PostgresApprovalStore(database));
    }
}
