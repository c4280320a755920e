using System.CommandLine;
using AgentClient.Cli;

var options = new ClientOptions();
var root = new RootCommand("agent-client: run commands and sessions through the broker");
options.AddTo(root);
root.Subcommands.Add(ExecCommand.Create(options));
root.Subcommands.Add(ShellCommand.Create(options));
root.Subcommands.Add(SessionsCommand.Create(options));
root.Subcommands.Add(AttachCommand.Create(options));
root.Subcommands.Add(RecordingsCommand.Create(options));
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
