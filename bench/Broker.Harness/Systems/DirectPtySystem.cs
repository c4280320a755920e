using Broker.Core.Processes;
using Broker.Core.Targets;
using Broker.Harness.Machine;
using Broker.Harness.Terminals;

namespace Broker.Harness.Systems;

/// <summary>
/// The limit: the broker's own PTY and process layer (<see cref="LocalShellTarget"/>) driven by
/// this process, with no network, no session, no policy, masking or recording.
/// </summary>
internal sealed class DirectPtySystem : ISystemUnderTest, IExecRunner
{
    private static readonly Dictionary<string, string> s_noAdditions = [];
    private readonly LocalShellTarget _target;

    public DirectPtySystem()
    {
        _target = ShellTarget("direct");
    }

    /// <summary>
    /// The PTY layer with the benchmark's shell (<see cref="ShellSettings"/>); the transport floor's <c>grpc-pty</c>
    /// server opens its shells with the same.
    /// </summary>
    public static LocalShellTarget ShellTarget(string name) => new(ShellSettings(name), ProcessContainment.BySessionId);

    /// <summary>
    /// The benchmark's shell (bash without rc files or history), named <paramref name="name"/> in its prompt; the
    /// transport floor's <c>lean-pty</c> server starts it on the PTY layer itself.
    /// </summary>
    public static LocalShellSettings ShellSettings(string name)
    {
        var environment = new Dictionary<string, string>(LocalShellSettings.DefaultEnvironment(), StringComparer.Ordinal)
        {
            ["HISTFILE"] = "/dev/null",
            ["PS1"] = $@"\u@{name}:\w\$ ",
        };
        return new LocalShellSettings
        {
            Name = name,
            Shell = "/bin/bash",
            InteractiveArguments = ["--norc", "--noprofile"],
            Environment = environment,
        };
    }

    public string Name => "direct PTY";

    public ServerProcesses? Server => null;

    /// <summary>The direct PTY has no client to run elsewhere: it is read in the harness.</summary>
    public Task<ITerminal> OpenClientProcessTerminalAsync(CancellationToken cancellationToken) => OpenTerminalAsync(cancellationToken);

    public async Task<ITerminal> OpenTerminalAsync(CancellationToken cancellationToken)
    {
        var started = await _target.StartTerminalAsync(new TerminalStart(200, 50, "xterm-256color", s_noAdditions), cancellationToken).ConfigureAwait(false);
        var terminal = new DirectTerminal(started.Process ?? throw new IOException(started.Error));
        return await TerminalReadiness.ReadyAsync(terminal, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> RunTrueAsync(CancellationToken cancellationToken)
    {
        var started = await _target.StartCommandAsync(new CommandStart(new TargetCommand.Argv(["true"]), s_noAdditions), cancellationToken).ConfigureAwait(false);
        if (started.Process is not { } process)
        {
            return started.Error;
        }

        await using (process.ConfigureAwait(false))
        {
            await process.CompleteInputAsync(cancellationToken).ConfigureAwait(false);
            var output = DirectTerminal.DrainAsync(process.Output, null);
            var errors = process.ErrorOutput is { } e ? DirectTerminal.DrainAsync(e, null) : Task.CompletedTask;
            var exit = await process.Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(output, errors).WaitAsync(cancellationToken).ConfigureAwait(false);
            return exit.Code == 0 ? null : $"true exited with {exit.Code}";
        }
    }
}
