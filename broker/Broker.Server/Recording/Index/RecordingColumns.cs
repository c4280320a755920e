using System.Data.Common;

namespace Broker.Server.Recording;

/// <summary>
/// The row shape of the recording index, shared by its SQL stores (SQLite in the data directory, PostgreSQL for
/// replicas): the columns, their parameters, how an entry binds to them and reads back from them, with times as Unix
/// milliseconds and <c>@name</c> parameters, which both providers accept. One definition, so the two cannot drift.
/// </summary>
internal static class RecordingColumns
{
    /// <summary>The columns, in the order <see cref="Read"/> reads them.</summary>
    public const string Names =
        "session_id, location, issuer, subject, target, kind, started_at, ended_at, size_bytes, exit_code, end_reason, commands, allowed, denied, review, approvals, "
        + "sealed_records, sealed_chain_hash, missing_since";

    /// <summary>The parameters <see cref="Bind"/> sets, in the order of <see cref="Names"/>.</summary>
    public const string Parameters =
        "@id, @location, @issuer, @subject, @target, @kind, @started, @ended, @size, @exit, @reason, @commands, @allowed, @denied, @review, @approvals, "
        + "@records, @hash, @missing";

    /// <summary>What an upsert of an existing row replaces: every column but the key (<c>excluded</c> is the row offered).</summary>
    public const string Replacements =
        "location = excluded.location, issuer = excluded.issuer, subject = excluded.subject, target = excluded.target, kind = excluded.kind, "
        + "started_at = excluded.started_at, ended_at = excluded.ended_at, size_bytes = excluded.size_bytes, exit_code = excluded.exit_code, "
        + "end_reason = excluded.end_reason, commands = excluded.commands, allowed = excluded.allowed, denied = excluded.denied, review = excluded.review, "
        + "approvals = excluded.approvals, sealed_records = excluded.sealed_records, sealed_chain_hash = excluded.sealed_chain_hash, missing_since = excluded.missing_since";

    /// <summary>The order of every list: newest first, the session id breaking ties so that pages are stable.</summary>
    public const string Order = "ORDER BY started_at DESC, session_id DESC";

    /// <summary>Sets every parameter of <see cref="Parameters"/> from <paramref name="entry"/>.</summary>
    public static void Bind(DbCommand command, RecordingIndexEntry entry)
    {
        Add(command, "@id", entry.SessionId);
        Add(command, "@location", entry.Location);
        Add(command, "@issuer", entry.Issuer);
        Add(command, "@subject", entry.Subject);
        Add(command, "@target", entry.Target);
        Add(command, "@kind", entry.Kind);
        Add(command, "@started", entry.StartedAt.ToUnixTimeMilliseconds());
        Add(command, "@ended", entry.EndedAt?.ToUnixTimeMilliseconds());
        Add(command, "@size", entry.SizeBytes);
        Add(command, "@exit", entry.ExitCode);
        Add(command, "@reason", entry.EndReason);
        Add(command, "@commands", entry.Counts.Commands);
        Add(command, "@allowed", entry.Counts.Allowed);
        Add(command, "@denied", entry.Counts.Denied);
        Add(command, "@review", entry.Counts.Review);
        Add(command, "@approvals", entry.Counts.Approvals);
        Add(command, "@records", entry.Seal?.RecordCount);
        Add(command, "@hash", entry.Seal?.ChainHash);
        Add(command, "@missing", entry.MissingSince?.ToUnixTimeMilliseconds());
    }

    /// <summary>The entry in the current row of <paramref name="row"/>, selected as <see cref="Names"/>.</summary>
    public static RecordingIndexEntry Read(DbDataReader row) => new()
    {
        SessionId = row.GetString(0),
        Location = row.GetString(1),
        Issuer = row.GetString(2),
        Subject = row.GetString(3),
        Target = row.GetString(4),
        Kind = row.GetString(5),
        StartedAt = Time(row, 6)!.Value,
        EndedAt = Time(row, 7),
        SizeBytes = row.GetInt64(8),
        ExitCode = row.IsDBNull(9) ? null : row.GetInt32(9),
        EndReason = row.IsDBNull(10) ? null : row.GetString(10),
        Counts = new RecordingCounts(row.GetInt32(11), row.GetInt32(12), row.GetInt32(13), row.GetInt32(14), row.GetInt32(15)),
        Seal = row.IsDBNull(16) || row.IsDBNull(17) ? null : new IndexedSeal(row.GetInt64(16), row.GetString(17), row.GetInt64(8)),
        MissingSince = Time(row, 18),
    };

    /// <summary>Runs <paramref name="command"/> as the select of at most <paramref name="limit"/> rows matching <paramref name="filter"/>, in <see cref="Order"/>.</summary>
    public static List<RecordingIndexEntry> Select(DbCommand command, RecordingFilter filter, int limit)
    {
        command.CommandText = $"SELECT {Names} FROM recordings WHERE {filter.Condition} {Order} LIMIT @limit";
        AddValues(command, filter);
        Add(command, "@limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<RecordingIndexEntry>();
        while (reader.Read())
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    /// <summary>Runs <paramref name="command"/> as the select of the session ids of the rows matching <paramref name="filter"/>.</summary>
    public static HashSet<string> SelectIds(DbCommand command, RecordingFilter filter)
    {
        command.CommandText = $"SELECT session_id FROM recordings WHERE {filter.Condition}";
        AddValues(command, filter);
        using var reader = command.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Adds a parameter; a null value is SQL NULL.</summary>
    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private static void AddValues(DbCommand command, RecordingFilter filter)
    {
        for (var i = 0; i < filter.Values.Count; i++)
        {
            Add(command, $"@p{i}", filter.Values[i]);
        }
    }

    private static DateTimeOffset? Time(DbDataReader row, int column) =>
        row.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(row.GetInt64(column));
}
