namespace Broker.Approvals;

/// <summary>
/// An <see cref="ApprovalQuery"/> as SQL shared by the SQL stores: a <c>WHERE</c> condition over
/// <see cref="ApprovalColumns.Names"/> with <c>@p0</c>, <c>@p1</c>, … parameters, and their values in order.
/// </summary>
/// <param name="Condition">The condition (<c>1 = 1</c> when the query filters nothing).</param>
/// <param name="Values">The value of <c>@p</c><i>i</i> at index <i>i</i>.</param>
public sealed record ApprovalFilter(string Condition, IReadOnlyList<object> Values)
{
    /// <summary>The filter of <paramref name="query"/>.</summary>
    public static ApprovalFilter Of(ApprovalQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var conditions = new List<string>();
        var values = new List<object>();
        void Where(string column, object? value)
        {
            if (value is not null)
            {
                conditions.Add($"{column} = @p{values.Count}");
                values.Add(value);
            }
        }

        Where("target", query.Target);
        Where("requester_subject", query.RequesterSubject);
        Where("requester_issuer", query.RequesterIssuer);
        Where("session_id", query.SessionId);
        Where("binding", query.Binding);
        if (query.States.Count > 0)
        {
            var names = new List<string>();
            foreach (var state in query.States)
            {
                names.Add($"@p{values.Count}");
                values.Add(state.Name());
            }

            conditions.Add($"state IN ({string.Join(", ", names)})");
        }

        return new ApprovalFilter(conditions.Count == 0 ? "1 = 1" : string.Join(" AND ", conditions), values);
    }

    /// <summary>The filter that selects the one request with <paramref name="id"/>.</summary>
    public static ApprovalFilter ById(string id) => new("id = @p0", [id]);
}
