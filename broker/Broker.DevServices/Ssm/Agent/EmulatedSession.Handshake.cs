using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Ssm.Protocol;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>The agent's handshake: the session type and its properties (and KMS, which the emulator refuses), then the client's answer.</summary>
public sealed partial class EmulatedSession
{
    private TaskCompletionSource<HandshakeResponsePayload?>? _handshake;

    /// <summary>Runs the handshake; returns why the session cannot go on, or null.</summary>
    private async Task<string?> HandshakeAsync(string sessionType)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = new TaskCompletionSource<HandshakeResponsePayload?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _handshake = answer;
            _phase = AgentPhase.Handshaking;
        }

        var properties = new JsonObject { ["commands"] = Command(), ["runAsElevated"] = false };
        if (sessionType == HandshakeNames.NonInteractiveCommands)
        {
            properties["separateOutputStream"] = Document.SeparateOutputStream;
        }

        var actions = new List<RequestedClientAction>
        {
            new(HandshakeNames.SessionTypeAction, Element(new JsonObject { ["SessionType"] = sessionType, ["Properties"] = properties })),
        };
        if (_options.KmsKeyId is { } key)
        {
            actions.Add(new RequestedClientAction(HandshakeNames.KmsEncryptionAction, Element(new JsonObject { ["KMSKeyId"] = key })));
        }

        await SendDataAsync(PayloadType.HandshakeRequest, JsonSerializer.SerializeToUtf8Bytes(
            new HandshakeRequestPayload(_options.AgentVersion, actions), SsmJsonContext.Default.HandshakeRequestPayload)).ConfigureAwait(false);
        HandshakeResponsePayload? response;
        try
        {
            response = await answer.Task.WaitAsync(_options.HandshakeTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "Handshake timed out. Please ensure that you have the latest version of the session manager plugin.";
        }

        lock (_gate)
        {
            if (State == EmulatedSessionState.Ended)
            {
                // FinishAsync answered for the client that is gone: no program is started.
                return CloseReason ?? "the session ended during the handshake";
            }
        }

        foreach (var action in response?.ProcessedClientActions ?? [])
        {
            if (action.ActionStatus != ActionStatus.Success)
            {
                return $"{action.ActionType} failed on client with status {action.ActionStatus} error: {action.Error}";
            }
        }

        if (_options.KmsKeyId is not null)
        {
            return "the emulator does not implement KMS encryption";
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await SendDataAsync(PayloadType.HandshakeComplete, JsonSerializer.SerializeToUtf8Bytes(
            new HandshakeCompletePayload(elapsed.Ticks * 100, _options.CustomerMessage), SsmJsonContext.Default.HandshakeCompletePayload)).ConfigureAwait(false);
        lock (_gate)
        {
            _phase = AgentPhase.Starting;
        }

        return null;
    }

    private static JsonElement Element(JsonObject value)
    {
        using var document = JsonDocument.Parse(value.ToJsonString());
        return document.RootElement.Clone();
    }
}
