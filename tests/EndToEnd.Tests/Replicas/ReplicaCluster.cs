using System.Security.Cryptography;
using Broker.TestSupport.ObjectStore;
using Broker.TestSupport.Postgres;
using Npgsql;

namespace EndToEnd.Tests.Replicas;

/// <summary>
/// Broker replicas as processes over one real PostgreSQL database (a throwaway cluster of the host's installation).
/// The replicas trust one token issuer: the dev issuer, whose key is made once (<c>broker token --init</c>) and
/// copied into every replica's data directory before it starts, so a token minted for one is valid on all. They share
/// one cluster key (<c>server.replica.cluster_key_file</c>), made once per cluster, to forward calls to each other.
/// </summary>
public sealed class ReplicaCluster : IAsyncLifetime
{
    private readonly List<BrokerProcess> _replicas = [];
    private readonly string _issuerDirectory = Path.Combine(Path.GetTempPath(), "broker-e2e-issuer-" + Guid.NewGuid().ToString("n"));
    private PostgresCluster? _postgres;

    /// <summary>The replicas' shared database (a new one per cluster); tests read the registry there.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>The cluster key every replica is given.</summary>
    public byte[] ClusterKey { get; } = RandomNumberGenerator.GetBytes(48);

    private string ClusterKeyFile => Path.Combine(_issuerDirectory, "cluster.key");

    public async Task InitializeAsync()
    {
        _postgres = await PostgresCluster.StartAsync();
        Database = await _postgres.CreateDatabaseAsync();
        var (code, _, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, ["token", "--data", _issuerDirectory, "--init", "--sub", "nobody"]);
        code.Should().Be(0, stderr);
        await File.WriteAllBytesAsync(ClusterKeyFile, ClusterKey);
    }

    /// <summary>
    /// A replica's process, not yet started: the dev policy with a <c>server</c> section for the shared store, and the
    /// shared bucket under <paramref name="recordingsPrefix"/> of <paramref name="bucket"/> when one is given.
    /// </summary>
    public BrokerProcess Replica(string id, TimeSpan heartbeat, TimeSpan deadAfter, string? dataDirectory = null, S3ServerFixture? bucket = null, string recordingsPrefix = "replicas")
    {
        var data = dataDirectory ?? Path.Combine(Path.GetTempPath(), "broker-e2e-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(data);
        var key = Path.Combine(data, "dev-issuer-key.pem");
        if (!File.Exists(key))
        {
            File.Copy(Path.Combine(_issuerDirectory, "dev-issuer-key.pem"), key);
        }

        var devPolicy = File.ReadAllText(Path.Combine(BuiltTools.RepositoryRoot, "docs/examples/dev-policy.yaml"));
        var recordings = bucket is null ? string.Empty : $"""
              recording:
                object_store:
                  bucket: {bucket.Bucket}
                  prefix: {recordingsPrefix}
                  endpoint: {bucket.Endpoint}
                  region: us-east-1
                  path_style: true
                  access_key_id_env: BROKER_TEST_S3_KEY_ID
                  secret_access_key_env: BROKER_TEST_S3_SECRET
            """;
        var replica = new BrokerProcess
        {
            DataDirectory = data,
            PolicyYaml = devPolicy + $"""

                server:
                  store:
                    postgres:
                      connection_string: '{Database.ConnectionString}'
                  replica:
                    id: {id}
                    heartbeat_interval: {heartbeat.TotalSeconds}s
                    dead_after: {deadAfter.TotalSeconds}s
                    cluster_key_file: {ClusterKeyFile}
                {recordings}
                """,
            Environment = new Dictionary<string, string>
            {
                ["BROKER_TEST_S3_KEY_ID"] = S3ServerFixture.AccessKeyId,
                ["BROKER_TEST_S3_SECRET"] = S3ServerFixture.SecretAccessKey,
            },
        };
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>The ids of the sessions the registry says <paramref name="replicaId"/> holds.</summary>
    public async Task<List<string>> HeldSessionsAsync(string replicaId)
    {
        await using var command = Database.CreateCommand("SELECT id FROM live_sessions WHERE replica_id = @replica ORDER BY id");
        command.Parameters.AddWithValue("replica", replicaId);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>How long ago <paramref name="replicaId"/> last heartbeat, by the database server's clock.</summary>
    public async Task<TimeSpan> HeartbeatAgeAsync(string replicaId)
    {
        await using var command = Database.CreateCommand(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint - heartbeat_at FROM broker_replicas WHERE id = @replica");
        command.Parameters.AddWithValue("replica", replicaId);
        return TimeSpan.FromMilliseconds(Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The instance that holds <paramref name="replicaId"/> in the registry.</summary>
    public async Task<string> InstanceAsync(string replicaId)
    {
        await using var command = Database.CreateCommand("SELECT instance FROM broker_replicas WHERE id = @replica");
        command.Parameters.AddWithValue("replica", replicaId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Whether <paramref name="replicaId"/> is registered.</summary>
    public async Task<bool> IsRegisteredAsync(string replicaId)
    {
        await using var command = Database.CreateCommand("SELECT count(*) FROM broker_replicas WHERE id = @replica");
        command.Parameters.AddWithValue("replica", replicaId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }

    /// <summary>
    /// The ids of the sessions <c>sessions list</c> shows <paramref name="token"/> on <paramref name="replica"/>, with the
    /// holder it names; null when the call failed (callers poll: on a loaded machine a connection can be refused once).
    /// </summary>
    public static async Task<List<(string Id, string Holder)>?> ListedAsync(BrokerProcess replica, string token)
    {
        var (code, stdout, _) = await replica.ClientAsync(token, null, "sessions", "list");
        return code != 0 ? null : [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 1)
            .Select(fields => (fields[0], fields[^1]))
            .OrderBy(s => s.Item1, StringComparer.Ordinal)];
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (two minutes at most, for a loaded machine).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (limit.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"never: {what}");
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await Database.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        Directory.Delete(_issuerDirectory, recursive: true);
    }
}
