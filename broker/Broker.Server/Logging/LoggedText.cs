using Recorder;

namespace Broker.Server.Logging;

/// <summary>
/// Text a client or a session chose (a subject, a target, a session id, a reason, a file's message),
/// as a log argument: it is neutralized (<see cref="UntrustedText"/>) when the log line is formatted,
/// so a log read in a terminal shows it as text, and nothing is spent when the level is off.
/// </summary>
internal readonly record struct LoggedText(string? Value)
{
    /// <summary>Longest text logged as is; a longer one is cut with a count of what was left out.</summary>
    private const int MaxLength = 1024;

    public override string ToString() => UntrustedText.Neutralize(Value, MaxLength);
}
