using System.Text;
using Broker.Core.Targets;

namespace Broker.Ssm.Targets;

/// <summary>
/// The <c>command</c> parameter of AWS-StartNonInteractiveCommand for one broker command. The
/// agent splits that string into words the way a POSIX shell does (single quotes literal, a
/// backslash escapes the next character) and executes the first word directly, with no shell; so
/// an argv reaches the instance unchanged, each word single-quoted. Around it, a small
/// <c>sh</c> prints the command's exit status as a tagged marker at the end of its output, since
/// the document reports none (the channel strips the marker and keeps the status).
/// </summary>
internal static class RemoteCommandLine
{
    /// <summary>Builds the parameter for <paramref name="command"/>; null for an empty argv.</summary>
    /// <param name="command">The command.</param>
    /// <param name="scriptShell">The program that runs a script (<c>bash</c>: scripts are decided as bash).</param>
    /// <param name="tag">The exit-status marker's tag.</param>
    /// <returns>The parameter value.</returns>
    public static string? Build(TargetCommand command, string scriptShell, string tag)
    {
        IReadOnlyList<string> argv = command switch
        {
            TargetCommand.Script script => [scriptShell, "-c", script.Text],
            TargetCommand.Argv { Arguments.Count: > 0 } words => words.Arguments,
            _ => [],
        };
        if (argv.Count == 0)
        {
            return null;
        }

        // "$@" runs the words as given: nothing in them is expanded by this wrapper.
        var wrapper = $"\"$@\"; s=$?; printf '{ExitStatusMarkerFilter.PrintfFormat(tag)}' \"$s\"; exit \"$s\"";
        return string.Join(' ', new[] { "sh", "-c", wrapper, "sh" }.Concat(argv).Select(Quote));
    }

    /// <summary>Quotes one word so that a POSIX-style word splitter gives it back unchanged.</summary>
    /// <param name="word">The word.</param>
    /// <returns>The quoted word.</returns>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var builder = new StringBuilder(word.Length + 2).Append('\'');
        foreach (var c in word)
        {
            builder.Append(c == '\'' ? "'\\''" : c);
        }

        return builder.Append('\'').ToString();
    }
}
