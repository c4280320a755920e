namespace Broker.Core.Sessions;

/// <summary>What became of a client frame.</summary>
public enum InputOutcome
{
    /// <summary>Delivered.</summary>
    Accepted,

    /// <summary>Refused; the session goes on. The reason says why.</summary>
    Rejected,

    /// <summary>The session has ended; nothing more can be delivered.</summary>
    Ended,
}

/// <summary>The outcome of delivering a client frame, with a reason when it was not accepted.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">Why, when not accepted.</param>
public readonly record struct InputResult(InputOutcome Outcome, string? Reason)
{
    /// <summary>Delivered.</summary>
    public static InputResult Accepted { get; } = new(InputOutcome.Accepted, null);

    /// <summary>Refused with a reason.</summary>
    public static InputResult Rejected(string reason) => new(InputOutcome.Rejected, reason);

    /// <summary>The session has ended.</summary>
    public static InputResult Ended { get; } = new(InputOutcome.Ended, "the session has ended");
}
