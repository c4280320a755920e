namespace Broker.Server.Cli;

/// <summary>The broker executable's own exit codes; docs/cli.md lists them with every command's.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A bad command line or configuration (one line on stderr names the problem).</summary>
    public const int Usage = 2;

    /// <summary><c>serve</c>: it could not listen on an address (in use, not on this machine, not permitted).</summary>
    public const int CannotListen = 3;

    /// <summary><c>token</c>: the data directory holds no dev issuer key (and --init was not given).</summary>
    public const int NoIssuerKey = 4;

    /// <summary><c>serve</c>: the PostgreSQL store's schema is newer than this broker knows (upgrade the broker); nothing was changed.</summary>
    public const int StoreSchemaTooNew = 5;

    /// <summary><c>serve</c>: the PostgreSQL store could not be reached or migrated at start.</summary>
    public const int StoreUnavailable = 6;

    /// <summary>
    /// <c>serve</c>: another process holds this <c>server.replica.id</c> with a fresh heartbeat, or runs on this data
    /// directory as a replica; it was left alone.
    /// </summary>
    public const int ReplicaIdInUse = 7;
}
