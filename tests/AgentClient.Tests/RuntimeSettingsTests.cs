using System.Text.Json;

namespace AgentClient.Tests;

/// <summary>Runtime settings the built agent-client carries in its runtimeconfig, which a build change could silently drop.</summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void The_built_client_lets_idle_thread_pool_workers_sleep_without_spinning()
    {
        // The client's runtimeconfig is copied beside the tests with its assembly.
        var path = Path.Combine(AppContext.BaseDirectory, "agent-client.runtimeconfig.json");
        File.Exists(path).Should().BeTrue($"the runtime reads agent-client's settings from {path}");

        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spinLimit).Should().BeTrue(
            "a streaming shell wakes the client's workers per frame, and their spinning took CPU from the session's programs");
        spinLimit.GetInt32().Should().Be(0);
    }
}
