namespace EndToEnd.Tests;

/// <summary><c>kill -HUP</c> makes a running <c>broker serve --config</c> reload its policy file.</summary>
public sealed class PolicyReloadTests : IAsyncLifetime
{
    private readonly BrokerProcess _broker = new() { PolicyYaml = AgentPolicy.Allowing("echo, whoami") };

    public Task InitializeAsync() => _broker.InitializeAsync();

    public Task DisposeAsync() => _broker.DisposeAsync();

    [Fact]
    public async Task Sighup_applies_a_valid_file_and_keeps_the_old_policy_when_the_new_file_is_invalid()
    {
        var token = await _broker.TokenAsync("alice");
        (await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "whoami")).Code.Should().Be(0);
        _broker.Log.Should().Contain("kill -HUP " + _broker.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "start-up says how the policy is reloaded");

        // Written in place: refused whole (it could have been read half written); the policy in force stays.
        await File.WriteAllTextAsync(_broker.PolicyFile, AgentPolicy.Allowing("echo"));
        await HangUpAndWaitForAsync("Policy reload refused", 1);
        (await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "whoami")).Code.Should().Be(0);

        await ReplaceByRenameAsync(AgentPolicy.Allowing("echo"));
        await HangUpAndWaitForAsync("Policy reloaded", 1);
        var denied = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "whoami");
        denied.Code.Should().Be(126, denied.Stderr);

        await ReplaceByRenameAsync(AgentPolicy.Allowing("whoami").Replace("version: 1", "version: 7", StringComparison.Ordinal));
        await HangUpAndWaitForAsync("Policy reload refused", 1);
        _broker.Log.Should().Contain(_broker.PolicyFile + ":1:10: version must be between 1 and 1");
        (await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "whoami")).Code.Should().Be(126);
        var echo = await _broker.ClientAsync(token, null, "exec", "--target", "local", "--", "echo", "alive");
        echo.Stdout.Should().Be("alive\n");
    }

    private async Task ReplaceByRenameAsync(string text)
    {
        var temporary = _broker.PolicyFile + ".new";
        await File.WriteAllTextAsync(temporary, text);
        File.Move(temporary, _broker.PolicyFile, overwrite: true);
    }

    private async Task HangUpAndWaitForAsync(string logText, int expectedCount)
    {
        var before = Count(_broker.Log, logText);
        var (code, _, stderr) = await BuiltTools.RunAsync("/bin/kill", ["-HUP", _broker.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        code.Should().Be(0, stderr);
        // A bound for failure only: on a loaded 2-core machine a reload (a new settings load) can take a while.
        var limit = System.Diagnostics.Stopwatch.StartNew();
        while (Count(_broker.Log, logText) < before + expectedCount)
        {
            if (limit.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException($"the broker never logged '{logText}' after SIGHUP; its log:\n{_broker.Log}");
            }

            await Task.Delay(50);
        }
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
