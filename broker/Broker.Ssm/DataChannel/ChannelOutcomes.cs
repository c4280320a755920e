using System.Text.Json;

namespace Broker.Ssm.DataChannel;

/// <summary>Where a data channel connects, and with what.</summary>
/// <param name="StreamUrl">The StreamUrl StartSession returned (dialled again, as given, after a drop).</param>
/// <param name="SessionId">The session.</param>
/// <param name="Token">The TokenValue StartSession returned.</param>
internal sealed record DataChannelEndpoint(Uri StreamUrl, string SessionId, string Token);

/// <summary>What ResumeSession gave: a new token, the session's end (no token), or a failure worth retrying.</summary>
/// <param name="Token">The new token; empty when the session has timed out.</param>
/// <param name="Error">Why the call failed; the channel tries again.</param>
internal sealed record ResumeOutcome(string? Token, string? Error)
{
    public static ResumeOutcome Resumed(string token) => new(token, null);

    public static ResumeOutcome Failed(string error) => new(null, error);
}

/// <summary>The kind of session the agent runs, once known.</summary>
/// <param name="SessionType">Standard_Stream, InteractiveCommands, NonInteractiveCommands or Port.</param>
/// <param name="Inferred">True when the agent sent no handshake and the type was inferred from its first output.</param>
/// <param name="Properties">The document's properties for that type, if the handshake carried them.</param>
/// <param name="AgentVersion">The agent's version, if the handshake carried it.</param>
/// <param name="CustomerMessage">The handshake's message for the user, if any.</param>
internal sealed record SessionReady(string SessionType, bool Inferred, JsonElement? Properties, string? AgentVersion, string? CustomerMessage);

/// <summary>How the start of a channel went: the session is ready, or why it is not.</summary>
/// <param name="Session">The session, when ready.</param>
/// <param name="Error">Why it never became ready.</param>
internal sealed record ChannelStart(SessionReady? Session, string? Error);

/// <summary>How a data channel ended.</summary>
internal enum ChannelEndKind
{
    /// <summary>The service sent channel_closed: the session is over.</summary>
    Closed,

    /// <summary>The channel broke and could not be resumed, or the agent refused the session.</summary>
    Failed,

    /// <summary>Our side closed it.</summary>
    LocalClose,
}

/// <summary>How and why a data channel ended.</summary>
/// <param name="Kind">How.</param>
/// <param name="Message">channel_closed's output, or the failure.</param>
internal sealed record ChannelEnd(ChannelEndKind Kind, string? Message);
