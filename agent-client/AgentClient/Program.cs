using System.CommandLine;
using AgentClient.Cli;
using AgentClient.Mux;

// A repeated exec hands its command to this user's multiplexer master before anything else is set up.
if (MuxClient.TryRun(args, MuxClient.StartMaster) is { } served)
{
    return served;
}

var options = new ClientOptions();
using var signals = TerminationSignals.Register();
var root = new RootCommand(CommandLineRun.Description);
options.AddTo(root);
root.Subcommands.Add(ExecCommand.Create(options, signals));
root.Subcommands.Add(ShellCommand.Create(options));
root.Subcommands.Add(SessionsCommand.Create(options));
root.Subcommands.Add(AttachCommand.Create(options));
root.Subcommands.Add(RecordingsCommand.Create(options));
root.Subcommands.Add(AuditCommand.Create(options));
root.Subcommands.Add(AgentClient.Cli.Approvals.ApprovalsCommand.Create(options));
root.Subcommands.Add(AgentClient.Mcp.McpCommand.Create(options));
root.Subcommands.Add(MuxCommand.Create(options));

return await CommandLineRun.InvokeAsync(root, args, signals).ConfigureAwait(false);
