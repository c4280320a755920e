using System.Diagnostics;
using Broker.Harness.Machine;
using Broker.Harness.Terminals;

namespace Broker.Harness.Systems;

/// <summary>
/// OpenSSH on loopback, driven through the real <c>ssh</c> client: <c>ssh -tt</c> for shells,
/// <c>ssh host true</c> for commands, with or without a ControlMaster connection.
/// </summary>
internal sealed class SshSystem : ISystemUnderTest
{
    // The same shell the broker's dev target runs: no rc files, no history.
    private const string RemoteShell = "exec env HISTFILE=/dev/null TERM=xterm-256color bash --norc --noprofile";
    private readonly string _config;
    private readonly string _host;

    public SshSystem(string config, string host, int sshdProcessId)
    {
        _config = config;
        _host = host;
        Server = new ServerProcesses(sshdProcessId, includeDescendants: true);
    }

    public string Name => "OpenSSH";

    public ServerProcesses Server { get; }

    public async Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken)
    {
        var terminal = ClientProcessTerminal.Start(Client("-tt", "-o", "ControlPath=none", _host, RemoteShell));
        return await TerminalReadiness.ReadyAsync(terminal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An ssh session's client is always a process of its own.</summary>
    public Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken) => OpenTerminalAsync(cancellationToken);

    public ProcessStartInfo Client(params string[] arguments)
    {
        var start = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-F");
        start.ArgumentList.Add(_config);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary><c>ssh host cat FILE</c> with a connection of its own.</summary>
    public ProcessStartInfo Cat(string path) => Client("-o", "ControlPath=none", _host, "cat " + path);

    /// <summary><c>ssh host true</c>, a new connection each time, or over a ControlMaster socket.</summary>
    public IExecRunner Exec(string? controlPath) => new SshExec(this, controlPath);

    /// <summary>The <c>ssh host true</c> command line, a new connection, or over <paramref name="controlPath"/>'s ControlMaster.</summary>
    public ProcessStartInfo ExecTrue(string? controlPath) => controlPath is null
        ? Client("-o", "ControlPath=none", _host, "true")
        : Client("-o", "ControlMaster=no", "-o", "ControlPath=" + controlPath, _host, "true");

    private sealed class SshExec : IExecRunner
    {
        private readonly SshSystem _ssh;
        private readonly string? _controlPath;

        public SshExec(SshSystem ssh, string? controlPath)
        {
            _ssh = ssh;
            _controlPath = controlPath;
        }

        public string Name => _controlPath is null ? "ssh host true" : "ssh host true (ControlMaster)";

        public async Task<string?> RunTrueAsync(CancellationToken cancellationToken)
        {
            var start = _ssh.ExecTrue(_controlPath);
            start.RedirectStandardInput = false;
            using var process = Process.Start(start) ?? throw new IOException("ssh did not start");
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            var stderr = await errors.ConfigureAwait(false);
            return process.ExitCode == 0 ? null : $"ssh exited with {process.ExitCode}: {stderr.Trim()}";
        }
    }
}
