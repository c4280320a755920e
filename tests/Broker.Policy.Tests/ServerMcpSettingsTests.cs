namespace Broker.Policy.Tests;

/// <summary>The <c>server.mcp</c> section: the MCP tools' and relayed sessions' bounds, each checked against its range at load.</summary>
public sealed class ServerMcpSettingsTests
{
    private const string Policy = ServerSectionPolicy.Head + "server:\n  mcp:\nMCP";

    [Fact]
    public void Every_key_loads_as_written()
    {
        var result = Parse("""
                run_output: 1MiB
                run_stdin: 0
                run_timeout: 2m
                max_run_timeout: 10m
                shells_per_caller: 12
                shell_idle_timeout: 1h
                relay_idle_timeout: 2h
                relay_sessions_per_caller: 20
            """);

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Mcp.Should().Be(new McpDefinition
        {
            RunOutputBytes = 1024 * 1024,
            RunStdinBytes = 0,
            RunTimeout = TimeSpan.FromMinutes(2),
            MaxRunTimeout = TimeSpan.FromMinutes(10),
            ShellsPerCaller = 12,
            ShellIdleTimeout = TimeSpan.FromHours(1),
            RelayIdleTimeout = TimeSpan.FromHours(2),
            RelaySessionsPerCaller = 20,
        });
    }

    [Fact]
    public void Without_the_section_nothing_is_set_and_the_broker_keeps_its_defaults()
    {
        var result = PolicyLoader.Parse(ServerSectionPolicy.Head, "policy.yaml");

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Mcp.Should().Be(new McpDefinition());
    }

    [Theory]
    [InlineData("    run_output: 512", "run_output must be between")]
    [InlineData("    run_output: 17MiB", "run_output must be between")]
    [InlineData("    run_stdin: lots", "is not a size")]
    [InlineData("    run_timeout: 0s", "run_timeout")]
    [InlineData("    run_timeout: 10m", "must not be longer than max_run_timeout")]
    [InlineData("    max_run_timeout: 2h", "max_run_timeout")]
    [InlineData("    shells_per_caller: 0", "shells_per_caller")]
    [InlineData("    shell_idle_timeout: 1s", "shell_idle_timeout")]
    [InlineData("    relay_idle_timeout: 10s", "relay_idle_timeout")]
    [InlineData("    relay_sessions_per_caller: 5000", "relay_sessions_per_caller")]
    [InlineData("    shell_limit: 3", "shell_limit")]
    public void A_bad_bound_is_a_load_error_with_its_line(string line, string message)
    {
        var result = Parse(line);

        var error = result.Errors.Should().ContainSingle().Subject;
        error.Message.Should().Contain(message);
        error.Line.Should().Be(16, "the line under server.mcp");
    }

    [Fact]
    public void A_run_timeout_within_a_longer_max_run_timeout_loads()
    {
        var result = Parse("    max_run_timeout: 30m\n    run_timeout: 10m");

        result.Errors.Should().BeEmpty();
        result.Document!.Server.Mcp.RunTimeout.Should().Be(TimeSpan.FromMinutes(10));
    }

    private static PolicyLoadResult Parse(string mcp) => PolicyLoader.Parse(Policy.Replace("MCP", mcp), "policy.yaml");
}
