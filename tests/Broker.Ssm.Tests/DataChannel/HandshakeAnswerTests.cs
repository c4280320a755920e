using System.Text.Json;
using Broker.Ssm.DataChannel;
using Broker.Ssm.Protocol;

namespace Broker.Ssm.Tests.DataChannel;

public sealed class HandshakeAnswerTests
{
    private static HandshakeRequestPayload Request(string json) =>
        JsonSerializer.Deserialize(json, SsmJsonContext.Default.HandshakeRequestPayload)!;

    [Fact]
    public void A_terminal_session_type_is_accepted()
    {
        var result = HandshakeAnswer.Build(
            Request("""{"AgentVersion":"3.3.1.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"NonInteractiveCommands","Properties":{"commands":"id"}}}]}"""),
            "1.2.650.0");

        result.SessionType.Should().Be("NonInteractiveCommands");
        result.Properties!.Value.GetProperty("commands").GetString().Should().Be("id");
        result.Refusal.Should().BeNull();
        result.Response.ClientVersion.Should().Be("1.2.650.0");
        result.Response.ProcessedClientActions.Should().ContainSingle().Which.ActionStatus.Should().Be(ActionStatus.Success);
    }

    [Fact]
    public void Kms_encryption_is_refused_with_a_reason_that_says_so()
    {
        var result = HandshakeAnswer.Build(
            Request("""{"RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Standard_Stream"}},{"ActionType":"KMSEncryption","ActionParameters":{"KMSKeyId":"arn:aws:kms:us-east-1:123456789012:key/abc"}}]}"""),
            "1.2.650.0");

        result.Refusal.Should().Contain("KMS").And.Contain("arn:aws:kms:us-east-1:123456789012:key/abc");
        var kms = result.Response.ProcessedClientActions.Single(a => a.ActionType == "KMSEncryption");
        kms.ActionStatus.Should().Be(ActionStatus.Failed);
        kms.Error.Should().NotBeEmpty();
    }

    [Fact]
    public void An_unknown_action_is_answered_unsupported_in_its_status()
    {
        var result = HandshakeAnswer.Build(
            Request("""{"RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Standard_Stream"}},{"ActionType":"Teleport","ActionParameters":{}}]}"""),
            "1.2.650.0");

        result.Refusal.Should().BeNull();
        result.Response.ProcessedClientActions.Single(a => a.ActionType == "Teleport").ActionStatus.Should().Be(ActionStatus.Unsupported);
    }

    [Fact]
    public void A_port_session_is_refused()
    {
        var result = HandshakeAnswer.Build(
            Request("""{"RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"22"}}}]}"""),
            "1.2.650.0");

        result.Refusal.Should().Contain("Port");
        result.Response.ProcessedClientActions.Single().ActionStatus.Should().Be(ActionStatus.Failed);
    }

    [Fact]
    public void The_response_serialises_with_the_field_names_of_the_protocol()
    {
        var result = HandshakeAnswer.Build(
            Request("""{"RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Standard_Stream"}}]}"""), "1.2.650.0");

        var json = JsonSerializer.Serialize(result.Response, SsmJsonContext.Default.HandshakeResponsePayload);

        json.Should().Be("""{"ClientVersion":"1.2.650.0","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}""");
    }
}
