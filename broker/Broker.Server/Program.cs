using System.CommandLine;
using Broker.CommandLine;
using Broker.Server.Cli;

var root = new RootCommand("broker: a least-privilege session broker for autonomous agents")
{
    ServeCommand.Create(),
    TokenCommand.Create(),
    PolicyCommand.Create(),
    MaskCommand.Create(),
};

// No response files: `broker policy check -- '@x'` decides the text @x, not a file's contents.
var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
if (UsageErrors.Find(parse) is { } problem)
{
    await Console.Error.WriteLineAsync($"broker: {problem}").ConfigureAwait(false);
    return ExitCodes.Usage;
}

return await parse.InvokeAsync().ConfigureAwait(false);
