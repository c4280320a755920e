using Broker.Core.Targets;

namespace Broker.Core.Sessions;

/// <summary>What a session needs besides its process.</summary>
internal sealed record SessionContext
{
    public required string Id { get; init; }

    public required SessionOwner Owner { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }

    public required string Target { get; init; }

    public required SessionKind Kind { get; init; }

    public required SessionLimits Limits { get; init; }

    public required TimeProvider Time { get; init; }

    /// <summary>The broker's one clock for hold delays (by <see cref="Time"/>), shared by every session's output and input.</summary>
    public required HoldClock Holds { get; init; }

    /// <summary>The recording of the session.</summary>
    public ISessionJournal Journal { get; init; } = DiscardingJournal.Instance;

    /// <summary>Creates the session's output filter: one for all its channels, which the client sees together.</summary>
    public Func<IOutputFilter> CreateFilter { get; init; } = () => PassThroughFilter.Instance;

    /// <summary>Creates the filter the session's input goes through on its way to the recording.</summary>
    public Func<IInputFilter> CreateInputFilter { get; init; } = () => PassThroughInputFilter.Instance;

    /// <summary>An informational notice that is the session's first event, ahead of any output; null for none.</summary>
    public string? OpeningNotice { get; init; }
}
