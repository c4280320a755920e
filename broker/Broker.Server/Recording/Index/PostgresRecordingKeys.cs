using Npgsql;

namespace Broker.Server.Recording;

/// <summary>
/// The recording public keys of every replica, in the shared database (migration 4): each replica publishes its own
/// when it starts, so that any replica verifies a recording whatever replica signed it. A key id is the SHA-256 of the
/// key, so a row is never replaced: the first publication of an id stands.
/// </summary>
/// <remarks>
/// Trusting this table means trusting whoever can write the database, who can already rewrite the index and the
/// approvals; an auditor still pins keys of their own (<c>replay verify --public-key</c>).
/// </remarks>
internal sealed class PostgresRecordingKeys(NpgsqlDataSource database, RecordingStore local, string replicaId) : IRecordingKeys, IHostedService
{
    public string? Find(string keyId)
    {
        using var command = database.CreateCommand("SELECT public_key_pem FROM recording_keys WHERE key_id = @id");
        RecordingColumns.Add(command, "@id", keyId);
        return command.ExecuteScalar() as string;
    }

    /// <summary>Publishes this replica's key.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "INSERT INTO recording_keys (key_id, public_key_pem, replica) VALUES (@id, @pem, @replica) ON CONFLICT (key_id) DO NOTHING");
        RecordingColumns.Add(command, "@id", local.Key.KeyIdHex);
        RecordingColumns.Add(command, "@pem", local.PublicKeyPem);
        RecordingColumns.Add(command, "@replica", replicaId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
