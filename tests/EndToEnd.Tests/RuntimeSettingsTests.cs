using System.Text.Json;

namespace EndToEnd.Tests;

/// <summary>Runtime settings the built broker carries in its runtimeconfig, which a build change could silently drop.</summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void The_built_broker_lets_idle_thread_pool_workers_sleep_without_spinning()
    {
        var properties = BuiltBrokerConfigProperties();

        properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var spinLimit).Should().BeTrue(
            "between the keystrokes of many quiet sessions, spinning workers were 42 % of the broker's CPU");
        spinLimit.GetInt32().Should().Be(0);
    }

    [Fact]
    public void The_built_broker_tiers_up_without_the_instrumented_tier()
    {
        var properties = BuiltBrokerConfigProperties();

        properties.TryGetProperty("System.Runtime.TieredPGO", out var tieredPgo).Should().BeTrue(
            "the runtime's default is TieredPGO on, which kept a typing broker compiling and cost it more CPU per key");
        tieredPgo.GetBoolean().Should().BeFalse();
    }

    private static JsonElement BuiltBrokerConfigProperties()
    {
        var path = Path.ChangeExtension(BuiltTools.Broker, null) + ".runtimeconfig.json";
        File.Exists(path).Should().BeTrue($"the runtime reads the broker's settings from {path}");

        using var config = JsonDocument.Parse(File.ReadAllText(path));
        return config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
