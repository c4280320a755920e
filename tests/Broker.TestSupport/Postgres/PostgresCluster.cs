using System.Diagnostics;
using Npgsql;

namespace Broker.TestSupport.Postgres;

/// <summary>
/// A throwaway PostgreSQL server of the host's installation (test.sh installs Debian's <c>postgresql</c>): a new cluster
/// in a temporary directory, listening only on a Unix socket in that directory, so runs in parallel never meet.
/// PostgreSQL refuses to run as root, so under root the cluster belongs to the <c>postgres</c> account the package
/// creates. Each test takes a database of its own (<see cref="CreateDatabaseAsync"/>). Disposing stops the server
/// and deletes the directory.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const string Owner = "postgres";
    private const string Superuser = "broker_test";
    private const int Port = 5432;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly string _directory;
    private readonly string _bin;
    private readonly NpgsqlDataSource _admin;

    private PostgresCluster(string directory, string bin)
    {
        _directory = directory;
        _bin = bin;
        _admin = NpgsqlDataSource.Create(ConnectionString("postgres"));
    }

    /// <summary>Creates and starts a cluster; <c>pg_ctl -w</c> returns once it accepts connections.</summary>
    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBinaries();
        var directory = Directory.CreateTempSubdirectory("broker-pg-").FullName;
        var data = Path.Combine(directory, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", [Owner, directory], asOwner: false).ConfigureAwait(false);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"], asRoot).ConfigureAwait(false);

        // No TCP at all; fsync off because these databases die with the test run (durability is PostgreSQL's, not ours, to prove).
        var options = $"-k {directory} -p {Port} -c listen_addresses= -c fsync=off -c max_connections=200";
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "120", "-o", options, "start"], asRoot).ConfigureAwait(false);
        return new PostgresCluster(directory, bin);
    }

    /// <summary>A new, empty database and a data source for it.</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var command = _admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        return NpgsqlDataSource.Create(ConnectionString(name));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync().ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], Environment.UserName == "root").ConfigureAwait(false);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = _directory,
        Port = Port,
        Username = Superuser,
        Database = database,
        Pooling = true,
        MaxPoolSize = 50,
        Timeout = 60,
        CommandTimeout = 120,
    }.ConnectionString;

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "pg_ctl"))).OrderDescending().FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): test.sh installs the Debian package postgresql");
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asOwner)
    {
        var start = new ProcessStartInfo(asOwner ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asOwner)
        {
            foreach (var prefix in (string[])["-u", Owner, "--", program])
            {
                start.ArgumentList.Add(prefix);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
        }
    }
}
