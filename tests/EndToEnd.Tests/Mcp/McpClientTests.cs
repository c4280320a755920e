using System.Text.Json;
using Broker.TestSupport;

namespace EndToEnd.Tests.Mcp;

/// <summary>
/// The real TypeScript MCP SDK as the agent, against the built broker, through the built <c>agent-client mcp</c>
/// (stdio): tools listed, an allowed command run, a denied one refused with nothing run, a held one waited for with
/// progress and approved by another identity with <c>agent-client approvals approve</c>, a secret masked, every run
/// recorded, and the token file re-read for each message.
/// </summary>
public sealed class McpClientTests(BrokerProcess broker) : IClassFixture<BrokerProcess>, IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = [];
    private const string Key = "AKIAZ7Q2M4X9R1T6V3B8";
    private readonly SessionScratch _scratch = new("mcp-e2e-");
    private readonly string _secrets = Directory.CreateTempSubdirectory("mcp-e2e-token-").FullName;

    [Fact]
    public async Task Over_stdio_an_agent_runs_waits_for_approval_and_is_masked_recorded_and_renewed() => await FlowAsync(broker, _scratch, _secrets, "stdio", NoEnvironment);

    /// <summary>The whole agent flow of agent-flow.mjs over <paramref name="transport"/>, checked step by step.</summary>
    internal static async Task FlowAsync(BrokerProcess broker, SessionScratch scratch, string secrets, string transport, IReadOnlyDictionary<string, string> environment, params string[] tls)
    {
        var subject = "agent-mcp-" + transport;
        var tokenFile = Path.Combine(secrets, "token");
        await File.WriteAllTextAsync(tokenFile, await broker.TokenAsync(subject));
        await using var script = AgentFlowScript.Start(environment, transport, broker.Url, tokenFile, scratch.Path, BuiltTools.AgentClient);

        var tools = (await script.StepAsync("tools")).GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ToList();
        tools.Should().Contain(["run", "wait_approval", "explain", "targets"]).And.NotContain(t => t!.Contains("approve", StringComparison.Ordinal));

        var allowed = (await script.StepAsync("allowed")).GetProperty("result");
        allowed.GetProperty("decision").GetString().Should().Be("allowed");
        allowed.GetProperty("exit_code").GetInt32().Should().Be(0);
        allowed.GetProperty("stdout").GetString().Should().Contain("hello from mcp");

        var denied = (await script.StepAsync("denied")).GetProperty("result");
        denied.GetProperty("decision").GetString().Should().Be("denied");
        File.Exists(scratch.File("denied")).Should().BeFalse("a denied command does not run");

        var secret = (await script.StepAsync("secret")).GetProperty("result");
        secret.GetProperty("stdout").GetString().Should().Contain("[MASKED:aws-access-key-id]").And.NotContain(Key);

        var held = (await script.StepAsync("held")).GetProperty("result");
        held.GetProperty("decision").GetString().Should().Be("held");
        File.Exists(scratch.File("held")).Should().BeFalse("nothing runs while the command is held");
        var approvalId = held.GetProperty("approval").GetProperty("id").GetString()!;

        (await script.StepAsync("waiting")).GetProperty("approval_id").GetString().Should().Be(approvalId);
        var (code, _, stderr) = await broker.ClientAsync(await broker.TokenAsync("op-mcp-" + transport, "operators"), null, [.. tls, "approvals", "approve", approvalId, "--reason", "mcp e2e"]);
        code.Should().Be(0, stderr);
        var decided = await script.StepAsync("decided");
        decided.GetProperty("state").GetString().Should().Be("approved");
        decided.GetProperty("progress").GetInt32().Should().BeGreaterThan(0);

        var ran = (await script.StepAsync("ran")).GetProperty("result");
        ran.GetProperty("decision").GetString().Should().Be("allowed");
        File.Exists(scratch.File("held")).Should().BeTrue("the approved command ran");

        await script.StepAsync("renew");
        await File.WriteAllTextAsync(tokenFile, "not-a-token");
        await script.ResumeAsync();
        (await script.StepAsync("refused")).GetProperty("refused").GetBoolean().Should().BeTrue("the rewritten token file is read for the next message");
        await script.StepAsync("renew-again");
        await File.WriteAllTextAsync(tokenFile, await broker.TokenAsync(subject));
        await script.ResumeAsync();
        (await script.StepAsync("renewed")).GetProperty("is_error").GetBoolean().Should().BeFalse();
        await script.StepAsync("done");
        var (exit, scriptErr) = await script.ExitAsync();
        exit.Should().Be(0, scriptErr);

        await RecordedAsync(broker, tls, subject, Session(allowed), "hello from mcp");
        await RecordedAsync(broker, tls, subject, Session(secret), "[MASKED:aws-access-key-id]");
        await RecordedAsync(broker, tls, subject, Session(ran), null);
    }

    private static string Session(JsonElement result) => result.GetProperty("session_id").GetString()!;

    /// <summary>The session is in the subject's recordings, and its text holds <paramref name="text"/> and never the key.</summary>
    private static async Task RecordedAsync(BrokerProcess broker, string[] tls, string subject, string sessionId, string? text)
    {
        var observer = await broker.TokenAsync("auditor-mcp-e2e", "observers");
        var (code, listed, stderr) = await broker.ClientAsync(observer, null, [.. tls, "recordings", "list", "--subject", subject]);
        code.Should().Be(0, stderr);
        listed.Should().Contain(sessionId);

        (code, var exported, stderr) = await BuiltTools.RunAsync(BuiltTools.Replay, ["export", "--format", "text", sessionId, "--broker", broker.Url, "--token", observer, .. tls]);
        code.Should().Be(0, stderr);
        exported.Should().NotContain(Key);
        if (text is not null)
        {
            exported.Should().Contain(text);
        }
    }

    public void Dispose()
    {
        _scratch.Dispose();
        Directory.Delete(_secrets, recursive: true);
    }
}
