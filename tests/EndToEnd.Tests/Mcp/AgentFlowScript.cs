using System.Diagnostics;
using System.Text.Json;

namespace EndToEnd.Tests.Mcp;

/// <summary>
/// tests/fixtures/mcp/agent-flow.mjs under Node: the real TypeScript MCP SDK as an agent. Each step it reports is a
/// JSON line on its stdout; <see cref="ResumeAsync"/> answers a step that waits for the test.
/// </summary>
internal sealed class AgentFlowScript : IAsyncDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private AgentFlowScript(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static AgentFlowScript Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var fixtures = Path.Combine(BuiltTools.RepositoryRoot, "tests", "fixtures");
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = fixtures,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(fixtures, "mcp", "agent-flow.mjs"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("BROKER_TOKEN");
        info.Environment.Remove("BROKER_URL");
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new AgentFlowScript(Process.Start(info)!);
    }

    /// <summary>The next step the script reports, which must be <paramref name="step"/>.</summary>
    public async Task<JsonElement> StepAsync(string step)
    {
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(StepTimeout);
        if (line is null)
        {
            await _process.WaitForExitAsync().WaitAsync(StepTimeout);
            throw new InvalidOperationException($"the script ended (exit {_process.ExitCode}) before step '{step}': {await _stderr}");
        }

        var report = JsonDocument.Parse(line).RootElement;
        report.GetProperty("step").GetString().Should().Be(step, line);
        return report;
    }

    /// <summary>Lets a script waiting on its stdin go on.</summary>
    public Task ResumeAsync() => _process.StandardInput.WriteLineAsync("go");

    /// <summary>Waits for the script to exit and returns its exit code and standard error.</summary>
    public async Task<(int Code, string Stderr)> ExitAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync().WaitAsync(StepTimeout);
        return (_process.ExitCode, await _stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(StepTimeout);
        }

        _process.Dispose();
    }
}
