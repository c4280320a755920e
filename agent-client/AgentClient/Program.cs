using System.CommandLine;
using AgentClient.Cli;
using AgentClient.Terminal;
using Broker.CommandLine;

var options = new ClientOptions();
using var signals = TerminationSignals.Register();
var root = new RootCommand("agent-client: run commands and sessions through the broker");
options.AddTo(root);
root.Subcommands.Add(ExecCommand.Create(options, signals));
root.Subcommands.Add(ShellCommand.Create(options));
root.Subcommands.Add(SessionsCommand.Create(options));
root.Subcommands.Add(AttachCommand.Create(options));
root.Subcommands.Add(RecordingsCommand.Create(options));
root.Subcommands.Add(AgentClient.Cli.Approvals.ApprovalsCommand.Create(options));
root.Subcommands.Add(AgentClient.Mcp.McpCommand.Create(options));

// No response files: an argument such as @notes.txt is passed to the remote program as written.
var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (UsageErrors.Find(parse) is { } problem)
{
    return ExitCodes.Report(ExitCodes.Usage, problem);
}

// The client handles its own signals (TerminationSignals); the library's would turn SIGINT into a "Cancelled" failure.
var code = await parse.InvokeAsync(new InvocationConfiguration { Output = StandardStreams.Out, Error = StandardStreams.Err, ProcessTerminationTimeout = null }, signals.Token).ConfigureAwait(false);
return signals.ExitCode ?? code;
