using System.CommandLine;
using AgentClient.Terminal;
using Broker.CommandLine;

namespace AgentClient.Cli;

/// <summary>
/// Parses and runs one command line, the same way in a process of its own and in a multiplexer master
/// (for a thin client's command): usage errors as one line and exit 2, the client's own signal handling.
/// </summary>
internal static class CommandLineRun
{
    public const string Description = "agent-client: run commands and sessions through the broker";

    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TerminationSignals signals)
    {
        // No response files: an argument such as @notes.txt is passed to the remote program as written.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (UsageErrors.Find(parse) is { } problem)
        {
            return ExitCodes.Report(ExitCodes.Usage, problem);
        }

        // The client handles its own signals (TerminationSignals); the library's would turn SIGINT into a "Cancelled" failure.
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = StandardStreams.Out, Error = StandardStreams.Err, ProcessTerminationTimeout = null }, signals.Token).ConfigureAwait(false);
        return signals.ExitCode ?? code;
    }
}
