namespace Broker.Server.Recording;

/// <summary>
/// Which rows of the recording index a read selects, as SQL shared by its stores: a <c>WHERE</c> condition over
/// <see cref="RecordingColumns.Names"/> with <c>@p0</c>, <c>@p1</c>, … parameters, and their values in order.
/// </summary>
/// <param name="Condition">The condition (<c>1 = 1</c> when it selects every row).</param>
/// <param name="Values">The value of <c>@p</c><i>i</i> at index <i>i</i>.</param>
internal sealed record RecordingFilter(string Condition, IReadOnlyList<object> Values)
{
    /// <summary>Every row.</summary>
    public static RecordingFilter All { get; } = new("1 = 1", []);

    /// <summary>The rows without an end: sessions running, or cut by a crash.</summary>
    public static RecordingFilter Unended { get; } = new("ended_at IS NULL", []);

    /// <summary>The filter of <paramref name="query"/>.</summary>
    public static RecordingFilter Of(RecordingQuery query)
    {
        var conditions = new List<string>();
        var values = new List<object>();
        void Where(string comparison, object? value)
        {
            if (value is not null)
            {
                conditions.Add($"{comparison} @p{values.Count}");
                values.Add(value);
            }
        }

        Where("subject =", string.IsNullOrEmpty(query.Subject) ? null : query.Subject);
        Where("target =", string.IsNullOrEmpty(query.Target) ? null : query.Target);
        Where("started_at >=", query.StartedFrom?.ToUnixTimeMilliseconds());
        Where("started_at <", query.StartedBefore?.ToUnixTimeMilliseconds());
        if (query.HasDenied)
        {
            conditions.Add("denied > 0");
        }

        if (query.HasApproval)
        {
            conditions.Add("(review > 0 OR approvals > 0)");
        }

        return conditions.Count == 0 ? All : new RecordingFilter(string.Join(" AND ", conditions), values);
    }

    /// <summary>The row of one session.</summary>
    public static RecordingFilter ById(string sessionId) => new("session_id = @p0", [sessionId]);

    /// <summary>The rows of sessions that ended and started before <paramref name="cutoff"/> (retention).</summary>
    public static RecordingFilter EndedBefore(DateTimeOffset cutoff) => new("ended_at IS NOT NULL AND started_at < @p0", [cutoff.ToUnixTimeMilliseconds()]);

    /// <summary>This filter and <paramref name="column"/> equal to <paramref name="value"/>, on a parameter of its own.</summary>
    public RecordingFilter And(string column, object value) =>
        new($"({Condition}) AND {column} = @p{Values.Count}", [.. Values, value]);
}
