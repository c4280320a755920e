using System.Text.Json;
using Broker.Ssm.Protocol;

namespace Broker.Ssm.DataChannel;

/// <summary>
/// The client's side of the handshake: one answer per requested action. The session type is
/// accepted (terminal types only: port forwarding is not something the broker offers), KMS
/// encryption is refused with a reason (the agent then ends the session), and an unknown action is
/// answered "unsupported" in ActionStatus (AWS's client puts it in ActionResult instead).
/// </summary>
internal static class HandshakeAnswer
{
    /// <summary>The answer, the session type found, and, when the session cannot go on, why.</summary>
    /// <param name="Response">The handshake response to send.</param>
    /// <param name="SessionType">The requested session type, if one was.</param>
    /// <param name="Properties">Its properties.</param>
    /// <param name="Refusal">Why the session cannot run, or null.</param>
    internal sealed record Result(HandshakeResponsePayload Response, string? SessionType, JsonElement? Properties, string? Refusal);

    public static Result Build(HandshakeRequestPayload request, string clientVersion)
    {
        var processed = new List<ProcessedClientAction>();
        string? sessionType = null;
        JsonElement? properties = null;
        string? refusal = null;
        foreach (var action in request.RequestedClientActions ?? [])
        {
            switch (action.ActionType)
            {
                case HandshakeNames.SessionTypeAction:
                    var parsed = TryParse(action.ActionParameters, SsmJsonContext.Default.SessionTypeRequest);
                    if (parsed is null || parsed.SessionType is not (HandshakeNames.StandardStream or HandshakeNames.InteractiveCommands or HandshakeNames.NonInteractiveCommands))
                    {
                        var name = parsed?.SessionType ?? "(unreadable)";
                        refusal ??= $"the agent asked for a session of type {name}; the broker runs terminal and command sessions only";
                        processed.Add(new ProcessedClientAction(action.ActionType, ActionStatus.Failed, null, $"session type {name} is not supported by this client"));
                        break;
                    }

                    sessionType = parsed.SessionType;
                    properties = parsed.Properties.ValueKind == JsonValueKind.Undefined ? null : parsed.Properties.Clone();
                    processed.Add(new ProcessedClientAction(action.ActionType, ActionStatus.Success, null, ""));
                    break;
                case HandshakeNames.KmsEncryptionAction:
                    var key = TryParse(action.ActionParameters, SsmJsonContext.Default.KmsEncryptionRequest)?.KMSKeyId ?? "(unnamed)";
                    refusal ??= $"the SSM session is KMS-encrypted (key {key}); the broker does not implement KMS-encrypted sessions, so it refused the session";
                    processed.Add(new ProcessedClientAction(action.ActionType, ActionStatus.Failed, null, "KMS-encrypted sessions are not supported by this client"));
                    break;
                default:
                    processed.Add(new ProcessedClientAction(action.ActionType, ActionStatus.Unsupported, null, $"unsupported action {action.ActionType}"));
                    break;
            }
        }

        return new Result(new HandshakeResponsePayload(clientVersion, processed, null), sessionType, properties, refusal);
    }

    private static T? TryParse<T>(JsonElement element, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        try
        {
            return element.Deserialize(type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
