using System.CommandLine;
using System.CommandLine.Parsing;

namespace AgentClient.Cli;

/// <summary>Usage errors as one line with a pointer to the command's help (the caller exits 2).</summary>
internal static class UsageErrors
{
    /// <summary>The first parse error, or null when the command line parsed.</summary>
    public static string? Find(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.Errors.Count == 0)
        {
            return null;
        }

        // A word the parser did not know explains more than the "required command" error it also causes.
        return WithHelp(parse, parse.UnmatchedTokens.Count > 0 ? $"unknown command or option '{parse.UnmatchedTokens[0]}'" : parse.Errors[0].Message);
    }

    /// <summary><paramref name="message"/> with "see 'agent-client COMMAND --help'" added.</summary>
    public static string WithHelp(ParseResult parse, string message)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                names.Add(command.Command.Name);
            }
        }

        names.Reverse();
        return $"{message.TrimEnd('.')} (see '{string.Join(' ', names)} --help')";
    }
}
