namespace Broker.Postgres;

/// <summary>What <see cref="SchemaMigrator.MigrateAsync"/> did.</summary>
public abstract record MigrationOutcome
{
    private MigrationOutcome()
    {
    }

    /// <summary>The database is at <paramref name="Version"/>; <paramref name="Applied"/> are the steps this call ran (none when another replica ran them).</summary>
    public sealed record Migrated(int Version, IReadOnlyList<Migration> Applied) : MigrationOutcome;

    /// <summary>The database is at <paramref name="Version"/>, which this broker does not know; nothing was changed.</summary>
    public sealed record Refused(int Version, string Reason) : MigrationOutcome;
}
