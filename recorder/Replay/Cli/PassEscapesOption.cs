using System.CommandLine;

namespace Replay.Cli;

/// <summary><c>--pass-escapes</c>: let every escape sequence of the recorded output reach the terminal.</summary>
internal static class PassEscapesOption
{
    public static Option<bool> Create() => new("--pass-escapes")
    {
        Description = "Pass every escape sequence of the output to the terminal, including clipboard writes, title changes and queries "
            + "(by default only sequences that draw on the screen pass).",
    };
}
