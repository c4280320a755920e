using Broker.Approvals;
using Broker.Integration.Tests.Fixtures;
using Broker.Integration.Tests.Masking;
using Broker.Protocol.V1;
using Broker.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using Recorder;
using ApprovalState = Broker.Approvals.ApprovalState;

namespace Broker.Integration.Tests.Mcp;

/// <summary>
/// The broker's MCP tools through the C# SDK client over streamable HTTP at <c>/mcp</c>, against a real broker: the
/// policy decides, output is masked and bounded, held commands wait for a person, and the recording holds each call.
/// </summary>
public sealed class McpToolsTests : IClassFixture<McpBrokerFixture>, IDisposable
{
    private readonly McpBrokerFixture _broker;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private readonly SessionScratch _scratch = new("mcp-tools-");

    public McpToolsTests(McpBrokerFixture broker) => _broker = broker;

    private CancellationToken Ct => _timeout.Token;

    private ApprovalCoordinator Coordinator => _broker.Services.GetRequiredService<ApprovalCoordinator>();

    [Fact]
    public async Task The_server_lists_its_tools_and_none_approves_denies_or_changes_policy()
    {
        await using var client = await Agent("mcp-lister");

        var names = (await client.ListToolsAsync(cancellationToken: Ct)).Select(t => t.Name).ToList();

        names.Should().BeEquivalentTo("run", "wait_approval", "explain", "targets", "shell_open", "shell_send", "shell_read", "shell_close", "my_sessions", "my_approvals");
        names.Should().NotContain(n => n.Contains("approve", StringComparison.Ordinal) || n.Contains("deny", StringComparison.Ordinal) || n.Contains("policy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_allowed_command_returns_its_output_and_exit_code_and_the_recording_holds_the_call()
    {
        await using var client = await Agent("mcp-runner");

        var result = await client.CallAsync("run", new { target = "local", argv = new[] { "printf", "hello-%s\\n", "mcp" } }, Ct);

        result.Field("decision").GetString().Should().Be("allowed");
        result.Field("rule").GetString().Should().Be("harmless");
        result.Field("exit_code").GetInt32().Should().Be(0);
        result.Field("stdout").GetString().Should().Be("hello-mcp\n");
        result.Field("stdout_truncated").GetBoolean().Should().BeFalse();
        result.Text().Should().Contain("allowed").And.Contain("hello-mcp");
        var events = await SealedRecording.ReadAsync(_broker, result.Field("session_id").GetString()!);
        events.OfType<CommandEvent>().Should().ContainSingle().Which.Command.Text.Should().Be("printf hello-%s\\n mcp");
        events.OfType<OutputEvent>().Select(e => System.Text.Encoding.UTF8.GetString(e.Data.Span)).Should().Contain("hello-mcp\n");
        events.OfType<ExitEvent>().Should().ContainSingle().Which.Code.Should().Be(0);
    }

    [Fact]
    public async Task A_denied_command_returns_the_decision_and_creates_nothing()
    {
        var file = _scratch.File("denied");
        await using var client = await Agent("mcp-denied");

        var result = await client.CallAsync("run", new { target = "local", argv = new[] { "cp", "/etc/hostname", file } }, Ct);

        result.Field("decision").GetString().Should().Be("denied");
        result.Field("reason").GetString().Should().NotBeEmpty();
        result.Structured().TryGetProperty("exit_code", out _).Should().BeFalse("nothing ran");
        File.Exists(file).Should().BeFalse();
        var events = await SealedRecording.ReadAsync(_broker, result.Field("session_id").GetString()!);
        events.OfType<CommandEvent>().Should().ContainSingle().Which.Command.Decision.Should().Be("deny");
    }

    [Fact]
    public async Task A_held_command_is_waited_for_with_progress_approved_by_an_operator_and_then_runs_once()
    {
        var file = _scratch.File("held");
        await using var client = await Agent("mcp-held");
        var touch = new { target = "local", argv = new[] { "touch", file } };

        var held = await client.CallAsync("run", touch, Ct);
        held.Field("decision").GetString().Should().Be("held");
        var approval = held.Field("approval");
        var id = approval.GetProperty("id").GetString()!;
        approval.GetProperty("approver_groups").EnumerateArray().Select(g => g.GetString()).Should().Equal("operators");
        approval.GetProperty("next").GetString().Should().Contain("wait_approval");
        File.Exists(file).Should().BeFalse("nothing runs before the approval");

        var progress = new CountingProgress();
        var waiting = client.CallAsync("wait_approval", new { approval_id = id, wait_seconds = 50 }, Ct, progress);
        await progress.First.WaitAsync(Ct);
        await Approvals(_broker.Token("mcp-operator", "operators")).ApproveRequestAsync(new ApproveRequestRequest { Id = id, Reason = "fine" }, cancellationToken: Ct);
        var waited = await waiting;
        waited.Field("state").GetString().Should().Be("approved");
        waited.Field("decided_by").EnumerateArray().Select(d => d.GetString()).Should().Equal("mcp-operator");
        progress.Count.Should().BeGreaterThan(0);

        var ran = await client.CallAsync("run", touch, Ct);
        ran.Field("decision").GetString().Should().Be("allowed");
        ran.Field("exit_code").GetInt32().Should().Be(0);
        File.Exists(file).Should().BeTrue();
        (await Coordinator.GetAsync(id, Ct))!.State.Should().Be(ApprovalState.Executed);

        var again = await client.CallAsync("run", touch, Ct);
        again.Field("decision").GetString().Should().Be("held", "the approval was used once");
        again.Field("approval").GetProperty("id").GetString().Should().NotBe(id);
    }

    [Fact]
    public async Task An_operators_token_finds_no_tool_to_approve_with_and_the_request_stays_pending()
    {
        var file = _scratch.File("self-approve");
        await using var agent = await Agent("mcp-self");
        var id = (await agent.CallAsync("run", new { target = "local", argv = new[] { "touch", file } }, Ct)).Field("approval").GetProperty("id").GetString()!;
        await using var operatorClient = await McpConnection.ConnectAsync(_broker.Address, _broker.Token("mcp-op", "operators"), Ct);

        var tools = (await operatorClient.ListToolsAsync(cancellationToken: Ct)).Select(t => t.Name).ToList();
        bool refused;
        try
        {
            refused = (await operatorClient.CallAsync("approve", new { approval_id = id }, Ct)).IsError == true;
        }
        catch (McpException)
        {
            refused = true;
        }

        tools.Should().NotContain(n => n.Contains("approve", StringComparison.Ordinal));
        refused.Should().BeTrue("there is no approve tool");
        (await Coordinator.GetAsync(id, Ct))!.State.Should().Be(ApprovalState.Pending);
        File.Exists(file).Should().BeFalse();
    }

    [Fact]
    public async Task A_secret_in_output_is_masked_in_the_result_and_in_the_recording()
    {
        const string key = "AKIAZ7Q2M4X9R1T6V3B8";
        await using var client = await Agent("mcp-secret");

        var result = await client.CallAsync("run", new { target = "local", argv = new[] { "echo", "aws_access_key_id = " + key } }, Ct);

        result.Field("stdout").GetString().Should().Contain("[MASKED:aws-access-key-id]").And.NotContain(key);
        result.Text().Should().NotContain(key);
        var path = await SealedRecording.WaitAsync(_broker, result.Field("session_id").GetString()!);
        var (events, output, input) = await SecretFile.ReadRecordingAsync(path);
        System.Text.Encoding.UTF8.GetString(output).Should().Contain("[MASKED:aws-access-key-id]").And.NotContain(key);
        System.Text.Encoding.UTF8.GetString(SecretFile.EventText(events)).Should().NotContain(key);
        input.Should().BeEmpty();
    }

    [Fact]
    public async Task Output_past_the_bound_is_cut_and_said_to_be_truncated()
    {
        await using var client = await Agent("mcp-bounds");

        var result = await client.CallAsync("run", new { target = "local", argv = new[] { "seq", "1", "20000" } }, Ct);

        result.Field("exit_code").GetInt32().Should().Be(0);
        var stdout = result.Field("stdout").GetString()!;
        stdout.Length.Should().BeLessThanOrEqualTo(McpBrokerFixture.RunOutputBytes);
        stdout.Should().StartWith("1\n2\n3\n");
        result.Field("stdout_truncated").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_target_the_callers_roles_do_not_cover_gets_a_clear_error()
    {
        await using var client = await Agent("mcp-outsider");

        var run = await client.CallAsync("run", new { target = "vault", argv = new[] { "echo", "x" } }, Ct);
        var targets = await client.CallAsync("targets", new { }, Ct);

        run.IsError.Should().BeTrue();
        run.Text().Should().Contain("not permitted").And.Contain("vault");
        var vault = targets.Field("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "vault");
        vault.GetProperty("permitted").GetBoolean().Should().BeFalse();
        var local = targets.Field("targets").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "local");
        local.GetProperty("permitted").GetBoolean().Should().BeTrue();
        local.GetProperty("allowed").GetString().Should().Contain("held for approval by operators");
    }

    [Fact]
    public async Task Explain_decides_without_running_anything()
    {
        var file = _scratch.File("explained");
        await using var client = await Agent("mcp-explain");

        var result = await client.CallAsync("explain", new { target = "local", argv = new[] { "touch", file } }, Ct);

        result.Field("decision").GetString().Should().Be("held");
        result.Field("rule").GetString().Should().Be("file-changes");
        result.Field("programs").EnumerateArray().Select(p => p.GetString()).Should().Equal("touch");
        result.Field("approvers").GetProperty("groups").EnumerateArray().Select(g => g.GetString()).Should().Equal("operators");
        File.Exists(file).Should().BeFalse();
        (await client.CallAsync("my_approvals", new { }, Ct)).Field("approvals").GetArrayLength().Should().Be(0, "explaining asks nobody");
        (await client.CallAsync("my_sessions", new { }, Ct)).Field("sessions").GetArrayLength().Should().Be(0, "explaining opens no session");
    }

    [Fact]
    public async Task An_interactive_program_is_answered_across_shell_send_calls_and_the_shell_is_its_callers_only()
    {
        await using var client = await Agent("mcp-shell");
        await using var stranger = await Agent("mcp-stranger");
        var opened = await client.CallAsync("shell_open", new { target = "local" }, Ct);
        var shell = opened.Field("shell_id").GetString()!;
        var screen = new ShellScreen(client, shell, opened);

        await screen.SendAsync("read -p 'name? ' n; echo hi $n\n", Ct);
        await screen.WaitForAsync("name? ", Ct);
        await screen.SendAsync("bob\n", Ct);
        await screen.WaitForAsync("hi bob", Ct);
        var foreign = await stranger.CallAsync("shell_read", new { shell_id = shell, cursor = 0 }, Ct);
        var closed = await client.CallAsync("shell_close", new { shell_id = shell }, Ct);

        foreign.IsError.Should().BeTrue();
        foreign.Text().Should().Contain("no shell");
        closed.IsError.Should().NotBe(true);
        var events = await SealedRecording.ReadAsync(_broker, opened.Field("session_id").GetString()!);
        events.OfType<CommandEvent>().Select(c => c.Command.Text).Should().Contain("read -p 'name? ' n; echo hi $n");
    }

    [Fact]
    public async Task A_caller_past_the_policy_files_shells_per_caller_is_refused_until_it_closes_one()
    {
        await using var client = await Agent("mcp-shell-cap");
        var first = (await client.CallAsync("shell_open", new { target = "local" }, Ct)).Field("shell_id").GetString()!;
        var second = (await client.CallAsync("shell_open", new { target = "local" }, Ct)).Field("shell_id").GetString()!;

        var third = await client.CallAsync("shell_open", new { target = "local" }, Ct);
        await client.CallAsync("shell_close", new { shell_id = first }, Ct);
        var afterClose = await client.CallAsync("shell_open", new { target = "local" }, Ct);

        third.IsError.Should().BeTrue();
        third.Text().Should().Contain("2 MCP shells open", "server.mcp.shells_per_caller is 2 in mcp-policy.yaml");
        afterClose.IsError.Should().NotBe(true);
        await client.CallAsync("shell_close", new { shell_id = second }, Ct);
        await client.CallAsync("shell_close", new { shell_id = afterClose.Field("shell_id").GetString()! }, Ct);
    }

    [Fact]
    public async Task A_call_without_a_token_is_refused_with_401_naming_the_protected_resource_metadata()
    {
        using var http = McpConnection.Http2Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_broker.Address, "/mcp"))
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");

        using var response = await http.SendAsync(request, Ct);
        var connect = async () => await McpConnection.ConnectAsync(_broker.Address, null, Ct);

        response.StatusCode.Should().Be(System.Net.HttpStatusCode.Unauthorized);
        var challenge = response.Headers.WwwAuthenticate.Should().ContainSingle().Subject;
        challenge.Scheme.Should().Be("Bearer");
        challenge.Parameter.Should().Contain("resource_metadata=").And.Contain("/.well-known/oauth-protected-resource");
        using var metadata = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(_broker.Address, "/.well-known/oauth-protected-resource"), Ct));
        metadata.RootElement.GetProperty("resource").GetString().Should().EndWith("/mcp");
        metadata.RootElement.GetProperty("authorization_servers").EnumerateArray().Select(s => s.GetString()).Should().Contain("broker-dev");
        metadata.RootElement.GetProperty("bearer_methods_supported").EnumerateArray().Select(s => s.GetString()).Should().Equal("header");
        await connect.Should().ThrowAsync<HttpRequestException>();
    }

    public void Dispose()
    {
        _timeout.Dispose();
        _scratch.Dispose();
    }

    private Task<McpClient> Agent(string subject) => McpConnection.ConnectAsync(_broker.Address, _broker.Token(subject), Ct);

    private ApprovalService.ApprovalServiceClient Approvals(string token) => new(_broker.Channel(token));

    /// <summary>Counts progress notifications, and says when the first arrived.</summary>
    private sealed class CountingProgress : IProgress<ProgressNotificationValue>
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public Task First => _first.Task;

        public int Count => Volatile.Read(ref _count);

        public void Report(ProgressNotificationValue value)
        {
            Interlocked.Increment(ref _count);
            _first.TrySetResult();
        }
    }
}
