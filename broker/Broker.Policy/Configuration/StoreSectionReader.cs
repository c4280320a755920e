using System.Data.Common;
using YamlDotNet.RepresentationModel;

namespace Broker.Policy.Configuration;

/// <summary>
/// Reads <c>server.store</c> and <c>server.replica</c>. The PostgreSQL password is refused inline (in the section or in
/// its connection string): it is named by a file or an environment variable, checked here, and read only at start.
/// </summary>
internal sealed class StoreSectionReader(YamlReader reader, string directory)
{
    // Npgsql's names (and aliases) for the password in a connection string.
    private static readonly string[] PasswordKeys = ["password", "pwd", "passfile"];

    private static readonly string[] SeparateKeys = ["host", "port", "database", "user"];

    // The cluster key signs HMAC-SHA256 assertions: at least 256 bits (Broker.Identity's ClusterAssertions checks it again).
    private const int ClusterKeyMinimumBytes = 32;

    public StoreDefinition ReadStore(YamlNode node)
    {
        var fields = reader.Mapping(node, "server store", "postgres");
        return fields is not null && fields.TryGetValue("postgres", out var postgresNode) ? new StoreDefinition { Postgres = ReadPostgres(postgresNode) } : new StoreDefinition();
    }

    public ReplicaDefinition ReadReplica(YamlNode node)
    {
        var replica = new ReplicaDefinition();
        var fields = reader.Mapping(node, "server replica", "id", "advertise", "heartbeat_interval", "dead_after", "cluster_key_file");
        if (fields is null)
        {
            return replica;
        }

        if (fields.TryGetValue("id", out var idNode) && reader.String(idNode, "server replica id") is { } id)
        {
            // The id is the notification writer's name (application_name, at most 63 bytes) and appears in lists and logs.
            if (id.Length is 0 or > 63 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                reader.Error(idNode, $"server replica id '{id}' must be 1 to 63 letters, digits, '-', '_' or '.'");
            }
            else
            {
                replica = replica with { Id = id };
            }
        }

        if (fields.TryGetValue("advertise", out var advertiseNode) && reader.String(advertiseNode, "server replica advertise") is { } advertise)
        {
            if (!Uri.TryCreate(advertise, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Port == 0)
            {
                reader.Error(advertiseNode, $"server replica advertise '{advertise}' must be an absolute http:// or https:// URL with a port other than 0");
            }
            else
            {
                replica = replica with { Advertise = advertise };
            }
        }

        if (fields.TryGetValue("heartbeat_interval", out var intervalNode)
            && reader.Duration(intervalNode, "server replica heartbeat_interval", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)) is { } interval)
        {
            replica = replica with { HeartbeatInterval = interval };
        }

        if (fields.TryGetValue("dead_after", out var deadNode)
            && reader.Duration(deadNode, "server replica dead_after", TimeSpan.FromSeconds(3), TimeSpan.FromHours(1)) is { } deadAfter)
        {
            // A replica late by one beat under load must not be reaped while it lives: several beats fit in the window.
            if (deadAfter < replica.HeartbeatInterval * 3)
            {
                reader.Error(deadNode, $"server replica dead_after must be at least three heartbeat intervals ({replica.HeartbeatInterval.TotalSeconds:0.###} s each)");
            }
            else
            {
                replica = replica with { DeadAfter = deadAfter };
            }
        }

        if (fields.TryGetValue("cluster_key_file", out var keyNode) && reader.String(keyNode, "server replica cluster_key_file") is { Length: > 0 } keyFile)
        {
            replica = ReadClusterKeyFile(keyNode, Path.GetFullPath(keyFile, directory), replica);
        }

        return replica;
    }

    private ReplicaDefinition ReadClusterKeyFile(YamlNode node, string path, ReplicaDefinition replica)
    {
        // Only the size is checked here: the key itself is read at start and never stands in the settings or the log.
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            reader.Error(node, $"server replica cluster_key_file '{path}' does not exist");
            return replica;
        }

        if (file.Length < ClusterKeyMinimumBytes)
        {
            reader.Error(node, $"server replica cluster_key_file '{path}' holds {file.Length} bytes; a cluster key has at least {ClusterKeyMinimumBytes} (head -c 48 /dev/urandom | base64 > {file.Name})");
            return replica;
        }

        return replica with { ClusterKeyFile = path };
    }

    private PostgresDefinition? ReadPostgres(YamlNode node)
    {
        var fields = reader.Mapping(node, "server store postgres", "connection_string", "host", "port", "database", "user", "password_file", "password_env");
        if (fields is null)
        {
            return null;
        }

        var postgres = new PostgresDefinition();
        var separate = SeparateKeys.Where(fields.ContainsKey).ToList();
        if (fields.TryGetValue("connection_string", out var connectionNode))
        {
            if (separate.Count > 0)
            {
                reader.Error(fields[separate[0]], $"server store postgres: give either connection_string or host/port/database/user, not both ('{separate[0]}')");
                return null;
            }

            if (ReadConnectionString(connectionNode) is not { } connection)
            {
                return null;
            }

            postgres = postgres with { ConnectionString = connection };
        }
        else
        {
            var host = reader.RequiredString(fields, node, "host", "server store postgres");
            var database = reader.RequiredString(fields, node, "database", "server store postgres");
            var user = reader.RequiredString(fields, node, "user", "server store postgres");
            var port = fields.TryGetValue("port", out var portNode) ? reader.Integer(portNode, "server store postgres port", 1, 65535) : null;
            postgres = postgres with { Host = host, Database = database, User = user, Port = port };
        }

        var hasFile = fields.TryGetValue("password_file", out var fileNode);
        var hasEnvironment = fields.TryGetValue("password_env", out var environmentNode);
        if (hasFile && hasEnvironment)
        {
            reader.Error(environmentNode!, "server store postgres: give exactly one of 'password_file' or 'password_env'");
            return null;
        }

        if (hasFile && reader.String(fileNode!, "server store postgres password_file") is { Length: > 0 } file)
        {
            var path = Path.GetFullPath(file, directory);
            if (!File.Exists(path))
            {
                reader.Error(fileNode!, $"server store postgres password_file '{path}' does not exist");
            }

            postgres = postgres with { PasswordFile = path };
        }

        if (hasEnvironment && reader.String(environmentNode!, "server store postgres password_env") is { Length: > 0 } variable)
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
            {
                reader.Error(environmentNode!, $"server store postgres password_env: the environment variable '{variable}' is not set");
            }

            postgres = postgres with { PasswordEnvironmentVariable = variable };
        }

        return postgres;
    }

    private string? ReadConnectionString(YamlNode node)
    {
        if (reader.String(node, "server store postgres connection_string") is not { Length: > 0 } text)
        {
            return null;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = text;
        }
        catch (ArgumentException)
        {
            // The text is not repeated: a malformed string may hold a password.
            reader.Error(node, "server store postgres connection_string is not a connection string (key=value pairs separated by ';')");
            return null;
        }

        if (PasswordKeys.FirstOrDefault(builder.ContainsKey) is { } key)
        {
            reader.Error(node, $"server store postgres connection_string must not hold a password ('{key}'): use password_file or password_env");
            return null;
        }

        return text;
    }
}
