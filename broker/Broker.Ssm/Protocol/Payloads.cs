using System.Text.Json;
using System.Text.Json.Serialization;

namespace Broker.Ssm.Protocol;

/// <summary>The TEXT frame that opens (and, after a drop, re-opens) the data channel.</summary>
/// <param name="MessageSchemaVersion">Always "1.0".</param>
/// <param name="RequestId">A fresh UUID per open.</param>
/// <param name="TokenValue">The token from StartSession or ResumeSession.</param>
/// <param name="ClientId">One UUID per client process, the same on every re-open.</param>
/// <param name="ClientVersion">The client version the agent adapts to.</param>
public sealed record OpenDataChannelInput(
    string MessageSchemaVersion,
    string RequestId,
    string TokenValue,
    string ClientId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientVersion);

/// <summary>The payload of an acknowledge message.</summary>
/// <param name="AcknowledgedMessageType">The acknowledged message's type.</param>
/// <param name="AcknowledgedMessageId">Its id, lowercase with hyphens.</param>
/// <param name="AcknowledgedMessageSequenceNumber">Its sequence number: the only field receivers match on.</param>
/// <param name="IsSequentialMessage">Always true.</param>
public sealed record AcknowledgeContent(string AcknowledgedMessageType, string AcknowledgedMessageId, long AcknowledgedMessageSequenceNumber, bool IsSequentialMessage);

/// <summary>One action the agent asks the client to take before the session starts.</summary>
/// <param name="ActionType">SessionType or KMSEncryption.</param>
/// <param name="ActionParameters">The action's parameters.</param>
public sealed record RequestedClientAction(string ActionType, JsonElement ActionParameters);

/// <summary>The agent's handshake request (payload type 5).</summary>
/// <param name="AgentVersion">The agent's version.</param>
/// <param name="RequestedClientActions">The actions.</param>
public sealed record HandshakeRequestPayload(string? AgentVersion, IReadOnlyList<RequestedClientAction>? RequestedClientActions);

/// <summary>The parameters of a SessionType action.</summary>
/// <param name="SessionType">Standard_Stream, InteractiveCommands, NonInteractiveCommands or Port.</param>
/// <param name="Properties">The document's properties for that type.</param>
public sealed record SessionTypeRequest(string SessionType, JsonElement Properties);

/// <summary>The parameters of a KMSEncryption action.</summary>
/// <param name="KMSKeyId">The key the agent wants the session encrypted with.</param>
public sealed record KmsEncryptionRequest(string? KMSKeyId);

/// <summary>What the client did about one requested action.</summary>
/// <param name="ActionType">The action's type.</param>
/// <param name="ActionStatus">1 success, 2 failed, 3 unsupported.</param>
/// <param name="ActionResult">The action's result, if any.</param>
/// <param name="Error">Why it failed.</param>
public sealed record ProcessedClientAction(string ActionType, int ActionStatus, JsonElement? ActionResult, string Error);

/// <summary>The client's handshake response (payload type 6).</summary>
/// <param name="ClientVersion">The client version.</param>
/// <param name="ProcessedClientActions">One entry per requested action.</param>
/// <param name="Errors">Errors, or null.</param>
public sealed record HandshakeResponsePayload(string ClientVersion, IReadOnlyList<ProcessedClientAction> ProcessedClientActions, IReadOnlyList<string>? Errors);

/// <summary>The agent's handshake completion (payload type 7).</summary>
/// <param name="HandshakeTimeToComplete">How long the handshake took, in nanoseconds.</param>
/// <param name="CustomerMessage">A message for the user, shown when not empty.</param>
public sealed record HandshakeCompletePayload(long HandshakeTimeToComplete, string? CustomerMessage);

/// <summary>A terminal size (payload type 3).</summary>
/// <param name="Columns">Width in cells.</param>
/// <param name="Rows">Height in cells.</param>
public sealed record SizeData([property: JsonPropertyName("cols")] uint Columns, [property: JsonPropertyName("rows")] uint Rows);

/// <summary>The payload of channel_closed.</summary>
/// <param name="MessageId">The message id.</param>
/// <param name="CreatedDate">When it was created (a string, unlike the header field).</param>
/// <param name="DestinationId">The session's target.</param>
/// <param name="SessionId">The session.</param>
/// <param name="MessageType">"channel_closed".</param>
/// <param name="SchemaVersion">1.</param>
/// <param name="Output">Why the channel closed, when it is not the ordinary end.</param>
public sealed record ChannelClosedPayload(string? MessageId, string? CreatedDate, string? DestinationId, string? SessionId, string? MessageType, int SchemaVersion, string? Output);

/// <summary>The agent's session state (sent to the service only).</summary>
/// <param name="SchemaVersion">1.</param>
/// <param name="SessionState">Connected or Terminating.</param>
/// <param name="SessionId">The session.</param>
public sealed record AgentSessionStatePayload(int SchemaVersion, string SessionState, string SessionId);

/// <summary>The values of <see cref="ProcessedClientAction.ActionStatus"/>.</summary>
public static class ActionStatus
{
    /// <summary>The action was taken.</summary>
    public const int Success = 1;

    /// <summary>The action was refused or failed.</summary>
    public const int Failed = 2;

    /// <summary>The client does not know the action.</summary>
    public const int Unsupported = 3;
}

/// <summary>The names used in handshakes.</summary>
public static class HandshakeNames
{
    /// <summary>The session-type action.</summary>
    public const string SessionTypeAction = "SessionType";

    /// <summary>The KMS action.</summary>
    public const string KmsEncryptionAction = "KMSEncryption";

    /// <summary>A shell.</summary>
    public const string StandardStream = "Standard_Stream";

    /// <summary>A command on a terminal.</summary>
    public const string InteractiveCommands = "InteractiveCommands";

    /// <summary>A command without a terminal.</summary>
    public const string NonInteractiveCommands = "NonInteractiveCommands";

    /// <summary>Port forwarding.</summary>
    public const string Port = "Port";
}

/// <summary>Source-generated JSON for the data channel's payloads (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OpenDataChannelInput))]
[JsonSerializable(typeof(AcknowledgeContent))]
[JsonSerializable(typeof(HandshakeRequestPayload))]
[JsonSerializable(typeof(SessionTypeRequest))]
[JsonSerializable(typeof(KmsEncryptionRequest))]
[JsonSerializable(typeof(HandshakeResponsePayload))]
[JsonSerializable(typeof(HandshakeCompletePayload))]
[JsonSerializable(typeof(SizeData))]
[JsonSerializable(typeof(ChannelClosedPayload))]
[JsonSerializable(typeof(AgentSessionStatePayload))]
public sealed partial class SsmJsonContext : JsonSerializerContext;
