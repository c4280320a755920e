using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests.Multiplexer;

/// <summary>
/// An <c>agent-client mux start</c> process for one broker, in a multiplexer directory of its own
/// (<c>AGENT_CLIENT_MUX_DIR</c>), and the environment that points clients at both.
/// </summary>
public sealed partial class MasterProcess : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly Process _process;

    private MasterProcess(string directory, string brokerUrl, Process process)
    {
        Directory = directory;
        BrokerUrl = brokerUrl;
        _process = process;
    }

    /// <summary>The private directory (made by the master, 0700).</summary>
    public string Directory { get; }

    public string BrokerUrl { get; }

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The socket the master listens on (from its start-up line).</summary>
    public string SocketPath => SocketLine().Match(Log).Groups[1].Value;

    public static async Task<MasterProcess> StartAsync(string brokerUrl, string persist = "10m")
    {
        var directory = Path.Combine(Path.GetTempPath(), "mux-e2e-" + Guid.NewGuid().ToString("n"), "mux");
        var info = new ProcessStartInfo(BuiltTools.AgentClient) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "mux", "start", "--persist", persist })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("BROKER_TOKEN");
        info.Environment["BROKER_URL"] = brokerUrl;
        info.Environment["AGENT_CLIENT_MUX_DIR"] = directory;
        var master = new MasterProcess(directory, brokerUrl, Process.Start(info)!);
        master._process.ErrorDataReceived += master.Collect;
        master._process.OutputDataReceived += master.Collect;
        master._process.BeginErrorReadLine();
        master._process.BeginOutputReadLine();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!master.Log.Contains("serving", StringComparison.Ordinal))
        {
            if (master._process.HasExited)
            {
                throw new InvalidOperationException($"the master did not start:\n{master.Log}");
            }

            await Task.Delay(20, limit.Token);
        }

        return master;
    }

    /// <summary>The environment of a client of this master: its broker, its directory, the token (if any) and the mode.</summary>
    public Dictionary<string, string> ClientEnvironment(string? token, string mode = "")
    {
        var environment = new Dictionary<string, string> { ["BROKER_URL"] = BrokerUrl, ["AGENT_CLIENT_MUX_DIR"] = Directory, ["AGENT_CLIENT_MUX"] = mode };
        if (token is not null)
        {
            environment["BROKER_TOKEN"] = token;
        }

        return environment;
    }

    /// <summary>How many commands the master has run (from <c>mux status</c>).</summary>
    public async Task<int> ServedAsync()
    {
        var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "status"], environment: ClientEnvironment(null));
        code.Should().Be(0, stderr);
        return int.Parse(Served().Match(stdout).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (bounded) for the master process to end by itself.</summary>
    public Task WaitForExitAsync() => _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await BuiltTools.RunAsync(BuiltTools.AgentClient, ["mux", "stop"], environment: ClientEnvironment(null));
            try
            {
                await WaitForExitAsync();
            }
            catch (TimeoutException)
            {
                _process.Kill();
            }
        }

        _process.Dispose();
        System.IO.Directory.Delete(Path.GetDirectoryName(Directory)!, recursive: true);
    }

    private void Collect(object? sender, DataReceivedEventArgs e)
    {
        if (e.Data is not null)
        {
            lock (_log)
            {
                _log.AppendLine(e.Data);
            }
        }
    }

    [GeneratedRegex(@" on (\S+\.sock) ")]
    private static partial Regex SocketLine();

    [GeneratedRegex(@"(\d+) served")]
    private static partial Regex Served();
}
