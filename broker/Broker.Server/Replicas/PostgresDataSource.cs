using Broker.Policy;
using Npgsql;

namespace Broker.Server.Replicas;

/// <summary>
/// The connection pool to the shared PostgreSQL store, built from <c>server.store.postgres</c>. The password is read
/// here, at start, from its file or environment variable: it never stands in the policy file, in the settings or in
/// the log (<see cref="Describe"/> leaves it out). Connections carry the replica id as their <c>application_name</c>,
/// which the approval notifications name as their writer.
/// </summary>
internal static class PostgresDataSource
{
    /// <summary>The data source, or why it cannot be built (one line, without the password).</summary>
    public static (NpgsqlDataSource? DataSource, string? Error) Create(PostgresDefinition store, string replicaId)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (password, error) = ReadPassword(store);
        if (error is not null)
        {
            return (null, error);
        }

        var builder = new NpgsqlDataSourceBuilder(store.ConnectionString ?? string.Empty);
        var connection = builder.ConnectionStringBuilder;
        if (store.ConnectionString is null)
        {
            connection.Host = store.Host;
            connection.Database = store.Database;
            connection.Username = store.User;
            if (store.Port is { } port)
            {
                connection.Port = port;
            }
        }

        connection.ApplicationName = replicaId;
        if (password is not null)
        {
            connection.Password = password;
        }

        return (builder.Build(), null);
    }

    /// <summary>Where the store is, for the log: the connection settings without any password.</summary>
    public static string Describe(PostgresDefinition store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var connection = new NpgsqlConnectionStringBuilder(store.ConnectionString ?? string.Empty);
        if (store.ConnectionString is null)
        {
            connection.Host = store.Host;
            connection.Database = store.Database;
            connection.Username = store.User;
        }

        var where = $"PostgreSQL database '{connection.Database}' on {connection.Host}" + (store.Port is { } port ? $":{port}" : string.Empty) + $" as '{connection.Username}'";
        return store.PasswordFile is not null ? $"{where}, password from {store.PasswordFile}"
            : store.PasswordEnvironmentVariable is not null ? $"{where}, password from ${store.PasswordEnvironmentVariable}"
            : where;
    }

    private static (string? Password, string? Error) ReadPassword(PostgresDefinition store)
    {
        if (store.PasswordEnvironmentVariable is { } variable)
        {
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment
                ? (fromEnvironment, null)
                : (null, $"server.store.postgres password_env: the environment variable '{variable}' is not set");
        }

        if (store.PasswordFile is not { } file)
        {
            return (null, null);
        }

        try
        {
            // A file written with echo ends with a line break that is not part of the password.
            return File.ReadAllText(file).TrimEnd('\r', '\n') is { Length: > 0 } fromFile
                ? (fromFile, null)
                : (null, $"server.store.postgres password_file '{file}' is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"server.store.postgres password_file '{file}' cannot be read: {e.Message}");
        }
    }
}
