using Broker.Core.Accounts;
using Broker.Core.Interactive;
using Broker.Core.Native;
using Broker.Core.Processes;

namespace Broker.Core.Targets;

/// <summary>A shell on this machine: interactive sessions on a PTY, commands on pipes, under the target's account.</summary>
public sealed class LocalShellTarget : ITarget
{
    private readonly LocalShellSettings _settings;
    private readonly FdEventLoop _loop;
    private readonly ProcessContainment _containment;

    /// <summary>A target whose programs are read and written on the process's shared descriptor loop.</summary>
    /// <param name="settings">The target's shell, account, directories and limits.</param>
    /// <param name="containment">How its programs are started and contained.</param>
    public LocalShellTarget(LocalShellSettings settings, ProcessContainment containment)
        : this(settings, FdEventLoop.Shared, containment)
    {
    }

    internal LocalShellTarget(LocalShellSettings settings, FdEventLoop loop, ProcessContainment containment)
    {
        _settings = settings;
        _loop = loop;
        _containment = containment;
    }

    /// <inheritdoc/>
    public string Name => _settings.Name;

    /// <inheritdoc/>
    public Sessions.SessionLimits Limits => _settings.Limits;

    /// <inheritdoc/>
    public ValueTask<TargetStartResult> StartTerminalAsync(TerminalStart start, CancellationToken cancellationToken)
    {
        if (start.Integration is { Enforced: true } && !ShellIntegration.Supports(_settings.Shell))
        {
            return ValueTask.FromResult(TargetStartResult.Failed($"line mode follows the prompt of bash; target '{Name}' runs {_settings.Shell}", 126));
        }

        return StartAsAccountAsync(start.Owner, assignment => StartTerminal(start, assignment), cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<TargetStartResult> StartCommandAsync(CommandStart start, CancellationToken cancellationToken) =>
        StartAsAccountAsync(start.Owner, assignment => StartCommand(start, assignment), cancellationToken);

    /// <summary>Assigns the session its account, starts the program as it, and gives a leased account back if the start failed.</summary>
    private async ValueTask<TargetStartResult> StartAsAccountAsync(Sessions.SessionOwner? owner, Func<AccountAssignment, TargetStartResult> start, CancellationToken cancellationToken)
    {
        var (assignment, accountError) = await AccountAssignment.ForAsync(_settings.RunAs, owner, _containment.Helper, cancellationToken).ConfigureAwait(false);
        if (assignment is null)
        {
            return TargetStartResult.Failed(accountError!, 126);
        }

        var result = start(assignment);
        if (result.Process is null && assignment.Lease is { } lease)
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }

        return result;
    }

    private TargetStartResult StartTerminal(TerminalStart start, AccountAssignment assignment)
    {
        var environment = Environment(start.Environment, assignment);
        environment["TERM"] = start.Term;
        var request = Request(_settings.Shell, [_settings.Shell, .. _settings.InteractiveArguments], environment, assignment);
        if (start.Integration is not { } integration || (!integration.Enforced && !ShellIntegration.Supports(_settings.Shell)))
        {
            // Auditing a raw terminal is best effort: a shell without the integration still runs, unaudited.
            return PtyTerminalProcess.Start(request, start.Columns, start.Rows, _loop, _containment, assignment.Lease);
        }

        using var script = StartupScriptPipe.Create(integration.StartupScript, assignment.SpawnAccount);
        if (script is null)
        {
            return TargetStartResult.Failed($"cannot pass the shell its start-up script: {LibC.Describe(LibC.LastError)}", 126);
        }

        // The configured interactive arguments are replaced: the integration brings its own start-up script.
        return PtyTerminalProcess.Start(
            request with
            {
                Arguments = [_settings.Shell, .. integration.BashArguments],
                Environment = new Dictionary<string, string>(environment.Concat(ShellIntegration.Environment), StringComparer.Ordinal),
                InheritedDescriptor = script.Fd,
            },
            start.Columns,
            start.Rows,
            _loop,
            _containment,
            assignment.Lease);
    }

    private TargetStartResult StartCommand(CommandStart start, AccountAssignment assignment)
    {
        var environment = Environment(start.Environment, assignment);
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
                    return TargetStartResult.Failed($"{command.Arguments[0]}: command not found", 127);
                }

                path = resolved;
                argv = command.Arguments;
                break;
            default:
                return TargetStartResult.Failed("empty command", 127);
        }

        return PipeCommandProcess.Start(Request(path, argv, environment, assignment), _loop, _containment, assignment.Lease);
    }

    private SpawnRequest Request(string path, IReadOnlyList<string> argv, Dictionary<string, string> environment, AccountAssignment assignment) => new()
    {
        Path = path,
        Arguments = argv,
        Environment = environment,
        WorkingDirectory = _settings.WorkingDirectory ?? (environment.TryGetValue("HOME", out var home) && Directory.Exists(home) ? home : "/"),
        Account = assignment.SpawnAccount,
        Umask = _settings.Umask,
    };

    /// <summary>The target's environment, the account's identity over it, then what the session adds.</summary>
    private Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> additions, AccountAssignment assignment)
    {
        var environment = new Dictionary<string, string>(_settings.Environment, StringComparer.Ordinal);
        assignment.Describe(environment, _settings.Shell);
        foreach (var (key, value) in additions)
        {
            environment[key] = value;
        }

        return environment;
    }

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
