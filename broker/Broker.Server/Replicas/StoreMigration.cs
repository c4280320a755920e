using Broker.Policy;
using Broker.Postgres;
using Broker.Server.Cli;
using Npgsql;

namespace Broker.Server.Replicas;

/// <summary>
/// At start, before the host is built: brings the shared database to this broker's schema (safe when several replicas
/// start at once: the migrator serialises them) and refuses a database whose schema is newer than this broker knows.
/// Then it claims the replica id for this process (<see cref="ReplicaIdentity.Instance"/>): a second process started
/// with the id of a replica that still heartbeats is refused before it repairs, withdraws or registers anything.
/// </summary>
internal static class StoreMigration
{
    /// <summary>Migrates; returns the lines to print and the exit code (<see cref="ExitCodes.Success"/> to go on serving).</summary>
    public static async Task<(int ExitCode, string Line)> RunAsync(PostgresDefinition store, ReplicaIdentity identity, CancellationToken cancellationToken)
    {
        var (dataSource, error) = PostgresDataSource.Create(store, identity.Id);
        if (dataSource is null)
        {
            return (ExitCodes.Usage, error!);
        }

        await using (dataSource.ConfigureAwait(false))
        {
            var where = PostgresDataSource.Describe(store);
            MigrationOutcome outcome;
            try
            {
                outcome = await SchemaMigrator.MigrateAsync(dataSource, BrokerSchema.Migrations, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Npgsql's messages name the server and the reason, never the password.
                return (ExitCodes.StoreUnavailable, $"the store ({where}) cannot be used: {e.Message}");
            }

            if (outcome is MigrationOutcome.Migrated)
            {
                ReplicaClaim claim;
                try
                {
                    // Wall-clock time: heartbeats are compared across replicas.
                    claim = await new ReplicaRegistry(dataSource, TimeProvider.System, identity.DeadAfter)
                        .ClaimAsync(identity.Id, identity.Instance, identity.Advertise ?? string.Empty, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    return (ExitCodes.StoreUnavailable, $"the store ({where}) cannot be used: {e.Message}");
                }

                if (!claim.Claimed)
                {
                    return (ExitCodes.ReplicaIdInUse, $"replica id '{identity.Id}' is held by another running broker (instance {claim.Holder}, last heartbeat "
                        + $"{claim.HeartbeatAt:yyyy-MM-dd HH:mm:ss} UTC); it would be considered dead at {claim.DeadAt:yyyy-MM-dd HH:mm:ss} UTC if it stopped "
                        + "heartbeating: stop it, or give this broker another server.replica.id; nothing was changed");
                }
            }

            return outcome switch
            {
                MigrationOutcome.Refused refused => (ExitCodes.StoreSchemaTooNew, $"the store ({where}) is refused: {refused.Reason}"),
                MigrationOutcome.Migrated migrated => (ExitCodes.Success, $"store: {where}; schema version {migrated.Version}"
                    + (migrated.Applied.Count > 0 ? $" (applied {string.Join(", ", migrated.Applied.Select(m => m.Version))})" : string.Empty)
                    + $"; replica '{identity.Id}', heartbeat every {identity.HeartbeatInterval.TotalSeconds:0.###} s, dead after {identity.DeadAfter.TotalSeconds:0.###} s"),
                _ => throw new InvalidOperationException("an unknown migration outcome"),
            };
        }
    }
}
