using System.CommandLine;
using System.CommandLine.Parsing;

namespace Broker.CommandLine;

/// <summary>
/// Usage errors as one line with a pointer to the command's help; the caller prints it after its
/// program name and exits 2. One source file for the three executables (broker, agent-client and
/// replay link it), so they report usage errors alike.
/// </summary>
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

    /// <summary><paramref name="message"/> and "(see 'PROGRAM COMMAND --help')".</summary>
    public static string WithHelp(ParseResult parse, string message)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(message);
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                names.Add(command.Command.Name);
            }
        }

        names.Reverse();

        // Some of the parser's messages span lines (a list of allowed values): one line it is.
        var oneLine = string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return $"{oneLine.TrimEnd('.')} (see '{string.Join(' ', names)} --help')";
    }
}
