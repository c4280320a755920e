using Broker.TestSupport;
using EndToEnd.Tests.Transport;

namespace EndToEnd.Tests.Mcp;

/// <summary>
/// The same agent flow as <see cref="McpClientTests"/> with the TypeScript SDK's streamable HTTP transport against
/// /mcp: Node's fetch speaks HTTP/1.1, which the broker serves beside gRPC on its TLS listeners, so this broker
/// serves TLS from a throwaway CA that Node is told to trust.
/// </summary>
public sealed class McpHttpClientTests : IAsyncLifetime, IDisposable
{
    // The agent policy of the other end-to-end tests, with touch held for an operator's approval (appended to its
    // rules and its role), and the operators and observers groups.
    private static readonly string Policy = AgentPolicy.Allowing("echo") + """

              - id: file-changes
                review: {programs: [touch]}
                reason: changes files
            approvers:
              groups: [operators]
              quorum: 1
              timeout: 15m
        operators:
          groups: [operators]
        observers:
          groups: [observers]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("broker-mcp-http-").FullName;
    private readonly SessionScratch _scratch = new("mcp-http-e2e-");
    private ThrowawayCa _ca = null!;
    private BrokerProcess _broker = null!;

    public async Task InitializeAsync()
    {
        _ca = await ThrowawayCa.CreateAsync(Path.Combine(_directory, "ca"), "mcp");
        var (certificate, key) = await _ca.IssueServerAsync("broker-mcp");
        _broker = new BrokerProcess
        {
            Scheme = "https",
            PolicyYaml = Policy + $"""

                server:
                  tls:
                    certificate: {certificate}
                    key: {key}
                  # A busy machine can take longer than the default 10 s over a first handshake (both sides cold).
                  limits:
                    request_headers_timeout: 2m
                    unauthenticated_timeout: 2m
                """,
        };
        await _broker.InitializeAsync();
    }

    [Fact]
    public async Task Over_streamable_http_an_agent_runs_waits_for_approval_and_is_masked_recorded_and_renewed()
    {
        var secrets = Directory.CreateDirectory(Path.Combine(_directory, "token")).FullName;
        await McpClientTests.FlowAsync(_broker, _scratch, secrets, "http", new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = _ca.Certificate }, "--ca-file", _ca.Certificate);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose() => _scratch.Dispose();
}
