namespace Broker.Approvals;

/// <summary>
/// Where approval requests live. Every change is a compare-and-swap on the request's version, so two
/// approvers (or two replicas) deciding at once cannot both win: the loser reads the new version and
/// decides again. Implementations keep SQL and locking portable (SQLite embedded, PostgreSQL for replicas).
/// </summary>
public interface IApprovalStore
{
    /// <summary>Stores a new request durably (it survives a crash once this completes).</summary>
    Task InsertAsync(ApprovalRequest request, CancellationToken cancellationToken);

    /// <summary>The request with <paramref name="id"/>, or null.</summary>
    Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Requests matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the stored request with <paramref name="updated"/> if the stored one is still at
    /// <paramref name="expectedVersion"/>; false (and nothing changed) when another change came first.
    /// </summary>
    Task<bool> TryReplaceAsync(ApprovalRequest updated, long expectedVersion, CancellationToken cancellationToken);
}

/// <summary>Which requests to list.</summary>
public sealed record ApprovalQuery
{
    /// <summary>Only requests in these states (empty for every state).</summary>
    public IReadOnlyList<ApprovalState> States { get; init; } = [];

    /// <summary>Only requests for this target.</summary>
    public string? Target { get; init; }

    /// <summary>Only requests by this subject.</summary>
    public string? RequesterSubject { get; init; }

    /// <summary>Only requests by this issuer.</summary>
    public string? RequesterIssuer { get; init; }

    /// <summary>Only requests of this session.</summary>
    public string? SessionId { get; init; }

    /// <summary>Only requests with this binding.</summary>
    public string? Binding { get; init; }

    /// <summary>At most this many.</summary>
    public int Limit { get; init; } = 100;
}
