using Broker.Server.Audit;

namespace Broker.Integration.Tests.Audit;

/// <summary>The audit log contract on the embedded SQLite store, in a temporary directory.</summary>
public sealed class SqliteAuditLogContractTests : AuditLogContract
{
    private readonly string _directory = Directory.CreateTempSubdirectory("audit-log-").FullName;
    private readonly List<SqliteAuditLog> _opened = [];

    public override async Task DisposeAsync()
    {
        foreach (var log in _opened)
        {
            log.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        await base.DisposeAsync();
    }

    private protected override Task<IAuditLog> OpenAsync() => Task.FromResult(OpenOther());

    private protected override IAuditLog OpenOther()
    {
        var log = new SqliteAuditLog(Path.Combine(_directory, SqliteAuditLog.FileName));
        _opened.Add(log);
        return log;
    }
}
