using System.Text;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Broker.Integration.Tests.Mcp;

/// <summary>Everything an MCP shell showed so far, read on from the last cursor as an agent would.</summary>
internal sealed class ShellScreen
{
    private readonly McpClient _client;
    private readonly string _shell;
    private readonly StringBuilder _text = new();
    private long _cursor;

    public ShellScreen(McpClient client, string shell, CallToolResult opened)
    {
        _client = client;
        _shell = shell;
        Take(opened);
    }

    public string Text => _text.ToString();

    public async Task SendAsync(string input, CancellationToken cancellationToken) =>
        Take(await _client.CallAsync("shell_send", new { shell_id = _shell, input }, cancellationToken));

    /// <summary>Reads on (each read waits up to 2 s for output) until <paramref name="expected"/> has shown; the token bounds the whole wait.</summary>
    public async Task WaitForAsync(string expected, CancellationToken cancellationToken)
    {
        while (!Text.Contains(expected, StringComparison.Ordinal))
        {
            var read = await _client.CallAsync("shell_read", new { shell_id = _shell, cursor = _cursor, wait_ms = 2000 }, cancellationToken);
            Take(read);
            read.Field("ended").GetBoolean().Should().BeFalse($"the shell ended before showing '{expected}'; it showed: {Text}");
        }
    }

    private void Take(CallToolResult result)
    {
        _text.Append(result.Field("output").GetString());
        _cursor = result.Field("cursor").GetInt64();
    }
}
