namespace EndToEnd.Tests;

/// <summary>A long shell outlives its first token when the agent's token file is refreshed.</summary>
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
        await Task.Delay(TimeSpan.FromSeconds(5));
        await File.WriteAllTextAsync(tokenFile, fresh);
        var (code, stdout, stderr) = await client;

        stderr.Should().Contain("your token expired");
        stdout.Should().Contain("after-21");
        code.Should().Be(3, stderr);
    }
}
