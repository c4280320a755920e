using Npgsql;

namespace Broker.Postgres;

/// <summary>
/// Brings a database to the schema this broker knows, safely when several replicas start at once: the whole check
/// and every step run in one transaction under a transaction-scoped advisory lock, so one replica migrates and the
/// others, once the lock is theirs, find nothing left to do. A database already at a newer version than this broker
/// knows is refused rather than used: an older replica must not write rows a newer schema reads differently.
/// </summary>
public static class SchemaMigrator
{
    // An arbitrary key that names "the broker's schema" among the database's advisory locks ("brokrsch" in ASCII).
    private const long LockKey = 0x62726F6B72736368;

    /// <summary>Applies what is missing of <paramref name="migrations"/> and says what it did, or why it refused.</summary>
    public static async Task<MigrationOutcome> MigrateAsync(NpgsqlDataSource database, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(migrations);
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new ArgumentException($"migration {i + 1} has version {migrations[i].Version}: versions run 1, 2, … without gaps", nameof(migrations));
            }
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", LockKey)).ConfigureAwait(false);
        await ExecuteAsync(
            connection,
            transaction,
            "CREATE TABLE IF NOT EXISTS broker_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            cancellationToken).ConfigureAwait(false);

        int current;
        await using (var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM broker_schema_migrations", connection, transaction))
        {
            current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (current > migrations.Count)
        {
            return new MigrationOutcome.Refused(
                current,
                $"the database's schema is at version {current}, newer than this broker knows ({migrations.Count}): upgrade the broker before pointing it at this database");
        }

        var applied = new List<Migration>();
        foreach (var migration in migrations.Skip(current))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                transaction,
                "INSERT INTO broker_schema_migrations (version, name) VALUES (@version, @name)",
                cancellationToken,
                ("version", migration.Version),
                ("name", migration.Name)).ConfigureAwait(false);
            applied.Add(migration);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new MigrationOutcome.Migrated(migrations.Count, applied);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
