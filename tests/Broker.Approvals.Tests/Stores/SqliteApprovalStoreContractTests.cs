namespace Broker.Approvals.Tests.Stores;

/// <summary>The store contract on the embedded SQLite store, in a temporary directory.</summary>
public sealed class SqliteApprovalStoreContractTests : ApprovalStoreContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("approval-store-").FullName;
    private readonly List<SqliteApprovalStore> _opened = [];

    private string DatabasePath => Path.Combine(_directory, SqliteApprovalStore.FileName);

    public override async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            store.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        await base.DisposeAsync();
    }

    protected override Task<IApprovalStore> OpenAsync() => OpenSameAsync();

    protected override Task<IApprovalStore> OpenSameAsync()
    {
        var store = new SqliteApprovalStore(DatabasePath);
        _opened.Add(store);
        return Task.FromResult<IApprovalStore>(store);
    }
}
