using System.CommandLine;
using Broker.Server.Cli;

var root = new RootCommand("broker: a least-privilege session broker for autonomous agents")
{
    ServeCommand.Create(),
    TokenCommand.Create(),
    PolicyCommand.Create(),
    MaskCommand.Create(),
};
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
