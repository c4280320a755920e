namespace EndToEnd.Tests;

/// <summary>A long shell or command outlives its first token when the agent's token file is refreshed.</summary>
public sealed class TokenRenewalTests : IAsyncLifetime
{
    private readonly BrokerProcess _broker = new() { ExtraArguments = ["--token-grace-seconds", "4"] };

    public Task InitializeAsync() => _broker.InitializeAsync();

    public Task DisposeAsync() => _broker.DisposeAsync();

    [Fact]
    public async Task Agent_client_shell_renews_from_its_token_file_when_the_broker_says_the_token_expired()
    {
        var tokenFile = Path.Combine(_broker.DataDirectory, "agent.token");
        await File.WriteAllTextAsync(tokenFile, await _broker.TokenWithLifetimeAsync("renewer", "12s", "shell-users"));
        var fresh = await _broker.TokenWithLifetimeAsync("renewer", "1h", "shell-users");

        // The shell outlives the first token (12 s) and its grace (4 s); only a renewal keeps it.
        var client = BuiltTools.RunAsync(
            BuiltTools.AgentClient,
            ["--broker", _broker.Url, "--token-file", tokenFile, "shell", "--target", "local"],
            "sleep 22; echo after-$((20+1))\nexit 3\n",
            timeoutSeconds: 90);

        // Only once the session runs on the first token (the client has read the file) does the file get the fresh one.
        await _broker.WaitForLogAsync("opened by renewer");
        await File.WriteAllTextAsync(tokenFile, fresh);
        var (code, stdout, stderr) = await client;

        stderr.Should().Contain("your token expired");
        stdout.Should().Contain("after-21");
        code.Should().Be(3, stderr);
    }
}

/// <summary>
/// The same for <c>agent-client exec</c>, whose request stream must stay open after end of input for the
/// renewal to be sent. A class of its own so that it runs alongside the shell case.
/// </summary>
public sealed class ExecTokenRenewalTests : IAsyncLifetime
{
    private readonly BrokerProcess _broker = new() { PolicyYaml = AgentPolicy.Allowing("sleep, echo"), ExtraArguments = ["--token-grace-seconds", "4"] };

    public Task InitializeAsync() => _broker.InitializeAsync();

    public Task DisposeAsync() => _broker.DisposeAsync();

    [Fact]
    public async Task Agent_client_exec_renews_from_its_token_file_and_the_command_runs_to_its_end()
    {
        var tokenFile = Path.Combine(_broker.DataDirectory, "agent.token");
        await File.WriteAllTextAsync(tokenFile, await _broker.TokenWithLifetimeAsync("exec-renewer", "12s"));
        var fresh = await _broker.TokenWithLifetimeAsync("exec-renewer", "1h");

        var client = BuiltTools.RunAsync(
            BuiltTools.AgentClient,
            ["--broker", _broker.Url, "--token-file", tokenFile, "exec", "--target", "local", "--script", "sleep 22 && echo outlived-the-token"],
            string.Empty,
            timeoutSeconds: 90);
        await _broker.WaitForLogAsync("opened by exec-renewer");
        await File.WriteAllTextAsync(tokenFile, fresh);
        var (code, stdout, stderr) = await client;

        stderr.Should().Contain("your token expired");
        stdout.Should().Contain("outlived-the-token");
        code.Should().Be(0, stderr);
    }

    [Fact]
    public async Task Agent_client_exec_without_a_fresh_token_is_ended_when_the_grace_is_over()
    {
        var token = await _broker.TokenWithLifetimeAsync("exec-expirer", "12s");

        var (code, stdout, stderr) = await BuiltTools.RunAsync(
            BuiltTools.AgentClient,
            ["--broker", _broker.Url, "--token", token, "exec", "--target", "local", "--script", "sleep 40 && echo should-not-print"],
            string.Empty,
            timeoutSeconds: 90);

        stderr.Should().Contain("your token expired");
        stdout.Should().NotContain("should-not-print");
        code.Should().NotBe(0, stderr);
    }
}
