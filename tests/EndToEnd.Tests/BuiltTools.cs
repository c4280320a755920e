using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EndToEnd.Tests;

/// <summary>Finds and runs the built executables (broker, agent-client, replay) as separate processes.</summary>
public static class BuiltTools
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Broker.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Broker.sln not found above the test directory");
    });

    /// <summary>Debug or Release: the tools are used from the same configuration as this test assembly.</summary>
    private static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string RepositoryRoot => s_root.Value;

    public static string Broker => Tool("broker/Broker.Server", "broker");

    public static string AgentClient => Tool("agent-client/AgentClient", "agent-client");

    public static string Replay => Tool("recorder/Replay", "replay");

    /// <summary>The thin executable as built (not yet beside the full client: see <c>ThinClientLayout</c>).</summary>
    public static string AgentClientThin => Tool("agent-client/AgentClient.Thin", "agent-client-thin");

    private static string Tool(string project, string name)
    {
        var path = Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0", name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{name} is not built at {path}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a tool to completion with a timeout; returns exit code, stdout and stderr.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(
        string program, IEnumerable<string> args, string? stdin = null, IDictionary<string, string>? environment = null, int timeoutSeconds = 60)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("BROKER_TOKEN");
        info.Environment.Remove("BROKER_URL");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', info.ArgumentList)} did not finish in {timeoutSeconds}s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A <c>broker serve --dev</c> process on a free loopback port.</summary>
public sealed class BrokerProcess : IAsyncLifetime
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "broker-e2e-" + Guid.NewGuid().ToString("n"));

    /// <summary><c>http</c>, or <c>https</c> for a policy that configures TLS.</summary>
    public string Scheme { get; init; } = "http";

    public string Url { get; private set; } = string.Empty;

    /// <summary>More arguments for <c>broker serve</c>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>A policy file to serve (with <c>--config</c>, besides <c>--dev</c>), or null for the embedded dev policy.</summary>
    public string? PolicyYaml { get; init; }

    /// <summary>Variables added to the broker's environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>A program (and its arguments) the broker is started through, such as setpriv to start it without root; empty for none.</summary>
    public IReadOnlyList<string> Launcher { get; init; } = [];

    /// <summary>The account (uid:gid) the data directory is given to before the broker starts, for a broker that does not run as root.</summary>
    public string? DataOwner { get; init; }

    /// <summary>The policy file written from <see cref="PolicyYaml"/>.</summary>
    public string PolicyFile => Path.Combine(DataDirectory, "policy.yaml");

    /// <summary>The broker's process id.</summary>
    public int ProcessId => _process!.Id;

    /// <summary>Whether the broker process has ended (it refused to start, or was stopped).</summary>
    public bool HasExited => _process!.HasExited;

    /// <summary>The broker's exit code, once it has ended.</summary>
    public int ExitCode => _process!.ExitCode;

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

    public async Task InitializeAsync()
    {
        // Port 0: the broker binds a free port itself and names it in its start-up line. A port picked here and bound
        // later could be taken in between by another process on a busy machine.
        Url = $"{Scheme}://127.0.0.1:0";
        var info = new ProcessStartInfo(Launcher.Count > 0 ? Launcher[0] : BuiltTools.Broker)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in Launcher.Skip(1).Concat(Launcher.Count > 0 ? [BuiltTools.Broker] : []))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var argument in new[] { "serve", "--dev", "--data", DataDirectory, "--urls", Url }.Concat(ExtraArguments))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in Environment)
        {
            info.Environment[key] = value;
        }

        if (PolicyYaml is not null)
        {
            Directory.CreateDirectory(DataDirectory);
            await File.WriteAllTextAsync(PolicyFile, PolicyYaml);
            info.ArgumentList.Add("--config");
            info.ArgumentList.Add(PolicyFile);
        }

        if (DataOwner is not null)
        {
            Directory.CreateDirectory(DataDirectory);
            (await BuiltTools.RunAsync("chown", ["-R", DataOwner, DataDirectory])).Code.Should().Be(0);
        }

        _process = Process.Start(info)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_log)
            {
                _log.AppendLine(e.Data);
            }

            // Not the credentials endpoint's "listening on" log line, which comes first: the gRPC port is not open yet then.
            const string Listening = "broker: listening on ";
            if (e.Data.StartsWith(Listening, StringComparison.Ordinal))
            {
                Url = e.Data[Listening.Length..].Split(';')[0].Split(", ")[0];
                ready.TrySetResult();
            }
        }

        _process.ErrorDataReceived += Collect;
        _process.OutputDataReceived += Collect;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        try
        {
            await Task.WhenAny(ready.Task, _process.WaitForExitAsync()).WaitAsync(TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            // Reported below with the log.
        }

        if (!ready.Task.IsCompleted)
        {
            // Callers that start a broker by hand often dispose it only once it started: one that never said it listens
            // must not outlive the test (a leaked broker loads every later test on a small machine).
            StopHard();
            throw new InvalidOperationException($"the broker did not start:\n{Log}");
        }
    }

    /// <summary>Polls the broker's log until it holds <paramref name="text"/>; returns the log.</summary>
    public async Task<string> WaitForLogAsync(string text)
    {
        var limit = Stopwatch.StartNew();
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (limit.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"the broker never logged '{text}'; its log:\n{Log}");
            }

            await Task.Delay(50);
        }

        return Log;
    }

    public Task<string> TokenAsync(string subject, params string[] groups) => TokenWithLifetimeAsync(subject, "1h", groups);

    public async Task<string> TokenWithLifetimeAsync(string subject, string ttl, params string[] groups)
    {
        var args = new List<string> { "token", "--data", DataDirectory, "--sub", subject, "--ttl", ttl };
        foreach (var group in groups)
        {
            args.Add("--group");
            args.Add(group);
        }

        var (code, stdout, stderr) = await BuiltTools.RunAsync(BuiltTools.Broker, args);
        code.Should().Be(0, stderr);
        return stdout.Trim();
    }

    public Task<(int Code, string Stdout, string Stderr)> ClientAsync(string token, string? stdin, params string[] args) =>
        ClientAsync(token, stdin, args, timeoutSeconds: 60);

    /// <summary>Runs agent-client with a time limit of the caller's: for a client that waits on the test's own later steps.</summary>
    public Task<(int Code, string Stdout, string Stderr)> ClientAsync(string token, string? stdin, string[] args, int timeoutSeconds) =>
        BuiltTools.RunAsync(BuiltTools.AgentClient, args, stdin, new Dictionary<string, string> { ["BROKER_URL"] = Url, ["BROKER_TOKEN"] = token }, timeoutSeconds);

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void KillHard()
    {
        _process!.Kill();
        _process.WaitForExit(30_000);
    }

    private void StopHard()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(30_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
    }

    /// <summary>Stops the broker as an operator would (SIGTERM: sessions are ended, their cgroups removed); SIGKILL if it hangs. Once stopped, nothing more.</summary>
    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            try
            {
                await BuiltTools.RunAsync("/bin/kill", ["-TERM", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                // A broker that does not stop on SIGTERM in time (or a kill that could not be run) is killed below.
            }
            finally
            {
                StopHard();
            }
        }

        // Idempotent: a test may stop a broker that its fixture stops again at the end.
        _process?.Dispose();
        _process = null;
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS cleans temporary directories.
        }
    }
}
