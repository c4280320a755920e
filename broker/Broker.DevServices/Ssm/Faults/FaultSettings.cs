namespace Broker.DevServices.Ssm.Faults;

/// <summary>
/// The faults an emulated session injects into its data channel. Probabilities apply to each
/// data frame the agent side sends (first sends and resends alike) or receives; a seeded random
/// source makes a run repeatable. Immutable: a session's faults are swapped whole.
/// </summary>
public sealed record FaultSettings
{
    /// <summary>No faults.</summary>
    public static FaultSettings None { get; } = new();

    /// <summary>Probability that an outgoing data frame is lost (not sent; the agent resends it).</summary>
    public double DropOutgoing { get; init; }

    /// <summary>Probability that an outgoing data frame is sent twice.</summary>
    public double DuplicateOutgoing { get; init; }

    /// <summary>Probability that an outgoing data frame is held back and sent after the next one.</summary>
    public double ReorderOutgoing { get; init; }

    /// <summary>Probability that an outgoing data frame is sent with one payload byte flipped (its digest no longer matches; the original is resent later).</summary>
    public double CorruptOutgoing { get; init; }

    /// <summary>Probability that an incoming data frame from the client is lost (neither processed nor acknowledged).</summary>
    public double DropIncoming { get; init; }

    /// <summary>Probability that an incoming frame (data or acknowledgement) is delivered twice.</summary>
    public double DuplicateIncoming { get; init; }

    /// <summary>Extra latency added to every outgoing data frame.</summary>
    public TimeSpan FrameDelay { get; init; }

    /// <summary>Extra latency added to every acknowledgement the agent sends.</summary>
    public TimeSpan AckDelay { get; init; }

    /// <summary>Cut the WebSocket (no close handshake) after this many more outgoing data frames; null for never.</summary>
    public int? CutAfterFrames { get; init; }

    /// <summary>The seed of the random source (each session adds its own number).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Whether any probabilistic fault is on.</summary>
    public bool Any => DropOutgoing > 0 || CorruptOutgoing > 0 || DuplicateOutgoing > 0 || ReorderOutgoing > 0 || DropIncoming > 0 || DuplicateIncoming > 0 ||
        FrameDelay > TimeSpan.Zero || AckDelay > TimeSpan.Zero || CutAfterFrames is not null;
}
