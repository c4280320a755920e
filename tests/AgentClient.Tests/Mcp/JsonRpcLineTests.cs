using System.Text;
using System.Text.Json;
using AgentClient.Mcp;

namespace AgentClient.Tests.Mcp;

public sealed class JsonRpcLineTests
{
    private static byte[]? Id(string json) => JsonRpcLine.RequestId(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}", "7")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":\"a-1\",\"method\":\"ping\"}", "\"a-1\"")]
    public void A_request_s_id_is_read_as_written(string json, string id) => Encoding.UTF8.GetString(Id(json)!).Should().Be(id);

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Notifications_responses_and_non_json_have_no_request_id(string json) => Id(json).Should().BeNull();

    [Fact]
    public void The_error_answers_the_request_on_one_line()
    {
        var error = JsonRpcLine.Error(Encoding.UTF8.GetBytes("\"a-1\""), "refused\nbecause");

        Encoding.UTF8.GetString(error).Should().NotContain("\n");
        var root = JsonDocument.Parse(error).RootElement;
        root.GetProperty("id").GetString().Should().Be("a-1");
        root.GetProperty("error").GetProperty("message").GetString().Should().Be("refused\nbecause");
        root.GetProperty("error").GetProperty("code").GetInt32().Should().Be(-32603);
    }
}
