namespace Broker.Server.Audit;

/// <summary>Which audit events to read, oldest first; every filter set must hold.</summary>
internal sealed record AuditQuery
{
    /// <summary>Events at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Events before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Events about this session.</summary>
    public string? SessionId { get; init; }

    /// <summary>Events whose actor has this subject.</summary>
    public string? Subject { get; init; }

    /// <summary>Events of this kind.</summary>
    public AuditEventKind? Kind { get; init; }

    /// <summary>Events with this decision or outcome.</summary>
    public string? Decision { get; init; }

    /// <summary>Events after this one in the order (time, then id): where the previous page ended.</summary>
    public (DateTimeOffset At, long Id)? After { get; init; }

    /// <summary>At most this many.</summary>
    public int Limit { get; init; } = 500;
}
