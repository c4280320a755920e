namespace Broker.Policy.Tests;

/// <summary>
/// The <c>server.store</c> and <c>server.replica</c> sections: a PostgreSQL store whose password never stands in the
/// policy file, and a replica identity with a heartbeat, validated at load with the line of the mistake.
/// </summary>
public sealed class ServerStoreSettingsTests : IDisposable
{
    private const string Policy = ServerSectionPolicy.Head + "server:\nSERVER";

    // The line of the first line of SERVER in the policy above.
    private const int FirstLine = 15;

    private readonly string _directory = Directory.CreateTempSubdirectory("server-store-").FullName;

    [Fact]
    public void Separate_fields_with_a_password_file_next_to_the_policy_load()
    {
        File.WriteAllText(Path.Combine(_directory, "pg.password"), "s3cret\n");

        var result = Parse("""
              store:
                postgres: {host: db.internal, port: 6432, database: broker, user: broker, password_file: pg.password}
              replica: {id: broker-a, advertise: 'https://broker-a.internal:7443', heartbeat_interval: 2s, dead_after: 10s}
            """);

        result.Errors.Should().BeEmpty();
        var server = result.Document!.Server;
        server.Store.Postgres.Should().BeEquivalentTo(new PostgresDefinition
        {
            Host = "db.internal",
            Port = 6432,
            Database = "broker",
            User = "broker",
            PasswordFile = Path.Combine(_directory, "pg.password"),
        });
        server.Replica.Should().BeEquivalentTo(new ReplicaDefinition
        {
            Id = "broker-a",
            Advertise = "https://broker-a.internal:7443",
            HeartbeatInterval = TimeSpan.FromSeconds(2),
            DeadAfter = TimeSpan.FromSeconds(10),
        });
        server.Store.Postgres!.ToString().Should().NotContain("s3cret", "the definition names where the password is, never the password");
    }

    [Fact]
    public void A_connection_string_without_a_password_and_an_environment_variable_load()
    {
        var result = Parse("""
              store:
                postgres:
                  connection_string: 'Host=/run/postgresql;Database=broker;Username=broker;SSL Mode=Disable'
                  password_env: PATH
            """);

        result.Errors.Should().BeEmpty();
        var postgres = result.Document!.Server.Store.Postgres!;
        postgres.ConnectionString.Should().Be("Host=/run/postgresql;Database=broker;Username=broker;SSL Mode=Disable");
        postgres.PasswordEnvironmentVariable.Should().Be("PATH");
        result.Document.Server.Replica.Should().BeEquivalentTo(new ReplicaDefinition(), "the id defaults to the host name at start, the timings to their defaults");
    }

    [Fact]
    public void Without_the_section_the_store_is_the_embedded_one()
    {
        var result = PolicyLoader.Parse(Policy[..Policy.IndexOf("server:", StringComparison.Ordinal)], Path.Combine(_directory, "policy.yaml"));

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Store.Postgres.Should().BeNull();
    }

    [Theory]
    [InlineData("  store: {postgres: {connection_string: 'Host=db;Password=hunter2'}}", "must not hold a password ('password')", 0)]
    [InlineData("  store: {postgres: {connection_string: 'Host=db;pwd=hunter2'}}", "must not hold a password ('pwd')", 0)]
    [InlineData("  store: {postgres: {connection_string: 'Host=db', host: db}}", "either connection_string or host/port/database/user", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker}}", "needs 'user'", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b, port: 70000}}", "port must be between 1 and 65535", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b, password: hunter2}}", "password", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b, password_file: missing.password}}", "does not exist", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b, password_env: BROKER_TEST_UNSET_PG_PASSWORD}}", "is not set", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b, password_env: PATH, password_file: x}}", "exactly one of", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b}}\n  replica: {id: 'a b'}", "must be 1 to 63 letters", 1)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b}}\n  replica: {advertise: 'http://a:0'}", "port other than 0", 1)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b}}\n  replica: {heartbeat_interval: 5s, dead_after: 10s}", "at least three heartbeat intervals", 1)]
    [InlineData("  replica: {id: a}", "needs server store postgres", 0)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b}}\n  replica: {cluster_key_file: missing.key}", "cluster_key_file", 1)]
    [InlineData("  store: {postgres: {host: db, database: broker, user: b}}\n  replica: {cluster_key_file: short.key}", "a cluster key has at least 32", 1)]
    public void Bad_store_and_replica_settings_are_load_errors_with_their_line(string section, string message, int lineOffset)
    {
        File.WriteAllText(Path.Combine(_directory, "short.key"), "31 bytes are one byte too few..");
        var result = Parse(section);

        var error = result.Errors.Should().ContainSingle().Subject;
        error.Message.Should().Contain(message);
        error.Line.Should().Be(FirstLine + lineOffset);
        error.Message.Should().NotContain("hunter2", "a password written inline by mistake is not repeated in the error");
    }

    [Fact]
    public void A_cluster_key_file_next_to_the_policy_loads_as_its_path_never_its_contents()
    {
        File.WriteAllText(Path.Combine(_directory, "cluster.key"), "a-cluster-key-of-more-than-32-bytes-never-shown");

        var result = Parse("  store: {postgres: {host: db, database: broker, user: b}}\n  replica: {cluster_key_file: cluster.key}");

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Replica.ClusterKeyFile.Should().Be(Path.Combine(_directory, "cluster.key"));
        result.Document.Server.ToString().Should().NotContain("never-shown");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PolicyLoadResult Parse(string server) =>
        PolicyLoader.Parse(Policy.Replace("SERVER", server), Path.Combine(_directory, "policy.yaml"));
}
