using Broker.Core.Interactive;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>A shell on this machine: interactive sessions on a PTY, commands on pipes.</summary>
internal sealed class LocalShellTarget : ITarget
{
    private readonly LocalShellSettings _settings;
    private readonly FdEventLoop _loop;
    private readonly ProcessContainment _containment;

    public LocalShellTarget(LocalShellSettings settings, FdEventLoop loop, ProcessContainment containment)
    {
        _settings = settings;
        _loop = loop;
        _containment = containment;
    }

    public string Name => _settings.Name;

    public Sessions.SessionLimits Limits => _settings.Limits;

    public ValueTask<TargetStartResult> StartTerminalAsync(TerminalStart start, CancellationToken cancellationToken)
    {
        var environment = Merge(start.Environment);
        environment["TERM"] = start.Term;
        environment["SHELL"] = _settings.Shell;
        var request = new SpawnRequest
        {
            Path = _settings.Shell,
            Arguments = [_settings.Shell, .. _settings.InteractiveArguments],
            Environment = environment,
            WorkingDirectory = WorkingDirectory(),
        };
        if (start.Integration is not { } integration || (!integration.Enforced && !ShellIntegration.Supports(_settings.Shell)))
        {
            // Auditing a raw terminal is best effort: a shell without the integration still runs, unaudited.
            return ValueTask.FromResult(PtyTerminalProcess.Start(request, start.Columns, start.Rows, _loop, _containment));
        }

        if (!ShellIntegration.Supports(_settings.Shell))
        {
            return ValueTask.FromResult(TargetStartResult.Failed(
                $"line mode follows the prompt of bash; target '{Name}' runs {_settings.Shell}", 126));
        }

        using var script = StartupScriptPipe.Create(integration.StartupScript);
        if (script is null)
        {
            return ValueTask.FromResult(TargetStartResult.Failed($"cannot pass the shell its start-up script: {LibC.Describe(LibC.LastError)}", 126));
        }

        // The configured interactive arguments are replaced: the integration brings its own start-up script.
        return ValueTask.FromResult(PtyTerminalProcess.Start(
            request with
            {
                Arguments = [_settings.Shell, .. integration.BashArguments],
                Environment = new Dictionary<string, string>(environment.Concat(ShellIntegration.Environment), StringComparer.Ordinal),
                InheritedDescriptor = script.Fd,
            },
            start.Columns,
            start.Rows,
            _loop,
            _containment));
    }

    public ValueTask<TargetStartResult> StartCommandAsync(CommandStart start, CancellationToken cancellationToken)
    {
        var environment = Merge(start.Environment);
        IReadOnlyList<string> argv;
        string path;
        switch (start.Command)
        {
            case TargetCommand.Script script:
                path = _settings.Shell;
                argv = [_settings.Shell, "-c", script.Text];
                break;
            case TargetCommand.Argv { Arguments.Count: > 0 } command:
                var resolved = ResolveProgram(command.Arguments[0], environment);
                if (resolved is null)
                {
                    return ValueTask.FromResult(TargetStartResult.Failed($"{command.Arguments[0]}: command not found", 127));
                }

                path = resolved;
                argv = command.Arguments;
                break;
            default:
                return ValueTask.FromResult(TargetStartResult.Failed("empty command", 127));
        }

        var request = new SpawnRequest
        {
            Path = path,
            Arguments = argv,
            Environment = environment,
            WorkingDirectory = WorkingDirectory(),
        };
        return ValueTask.FromResult(PipeCommandProcess.Start(request, _loop, _containment));
    }

    private Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> additions)
    {
        var environment = new Dictionary<string, string>(_settings.Environment, StringComparer.Ordinal);
        foreach (var (key, value) in additions)
        {
            environment[key] = value;
        }

        return environment;
    }

    private string WorkingDirectory() => _settings.StartDirectory;

    /// <summary>Finds a program the way execvp would, but on the target's PATH, not the broker's.</summary>
    private static string? ResolveProgram(string program, Dictionary<string, string> environment)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }

        if (program.Length == 0 || !environment.TryGetValue("PATH", out var searchPath))
        {
            return null;
        }

        foreach (var dir in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
