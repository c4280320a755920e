using System.CommandLine;
using AgentClient.Cli;

namespace AgentClient.Mux;

/// <summary>
/// Runs a thin client's <c>exec</c> in the master: the same command tree, parse and exec code as the
/// direct path, with the client's descriptors and variables in scope, so that its output, messages and
/// exit code are what its own process would have produced.
/// </summary>
internal static class MuxExecRunner
{
    public static async Task<int> RunAsync(MuxRequest request, RequestScope scope, TerminationSignals signals)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(scope);
        scope.Enter();
        var options = new ClientOptions();
        var root = new RootCommand(CommandLineRun.Description);
        options.AddTo(root);
        root.Subcommands.Add(ExecCommand.Create(options, signals));
        try
        {
            return await CommandLineRun.InvokeAsync(root, request.Argv, signals).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client's output went away (a closed pipe): its own process would have died of it; the master goes on.
            return ExitCodes.Failed;
        }
    }
}
