using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using Recorder;

namespace Replay.Cli;

/// <summary>`replay search REGEX PATH [--in output|input|commands]`: matching lines with session and time offset.</summary>
internal sealed class SearchCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build()
    {
        var pattern = new Argument<string>("regex") { Description = "A .NET regular expression, matched against each plain-text line." };
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var scope = new Option<string[]>("--in") { Description = "Where to look: output, input, commands (repeatable; default all).", AllowMultipleArgumentsPerToken = true };
        scope.AcceptOnlyFromAmong("output", "input", "commands");
        var command = new Command("search", "Find lines matching a regular expression in output, input or commands.") { pattern, location, scope };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Regex regex;
            try
            {
                regex = new Regex(parse.GetRequiredValue(pattern), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
            }
            catch (ArgumentException e)
            {
                return console.Fail(ExitCodes.Usage, $"invalid regular expression: {e.Message}");
            }

            var where = parse.GetValue(scope) is { Length: > 0 } chosen ? chosen.ToHashSet(StringComparer.Ordinal) : ["output", "input", "commands"];
            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var matches = 0;
            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                var (recording, code) = await loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
                worst = Math.Max(worst, code);
                if (recording is not null)
                {
                    matches += Search(recording, regex, where);
                }
            }

            return worst != ExitCodes.Success ? worst : matches > 0 ? ExitCodes.Success : ExitCodes.NoMatch;
        });
        return command;
    }

    private int Search(LoadedRecording recording, Regex regex, HashSet<string> where)
    {
        var matches = 0;
        var session = recording.Header.SessionId;
        var output = new Dictionary<OutputStream, (Decoder Decoder, LineAssembler Lines)>();
        var input = (Decoder: NewDecoder(), Lines: new LineAssembler());
        void Report(string kind, long offset, string line)
        {
            if (regex.IsMatch(line))
            {
                matches++;
                console.WriteLine($"{session} {TerminalText.FormatOffset(offset)} {kind}: {line}");
            }
        }

        foreach (var recorded in recording.Events)
        {
            switch (recorded)
            {
                case OutputEvent o when where.Contains("output"):
                    if (!output.TryGetValue(o.Stream, out var state))
                    {
                        state = (NewDecoder(), new LineAssembler());
                        output[o.Stream] = state;
                    }

                    foreach (var (offset, line) in state.Lines.Push(o.OffsetNanoseconds, Decode(state.Decoder, o.Data.Span)))
                    {
                        Report("output", offset, line);
                    }

                    break;
                case InputEvent i when where.Contains("input"):
                    var typed = Decode(input.Decoder, i.Data.Span).Replace('\r', '\n');
                    foreach (var (offset, line) in input.Lines.Push(i.OffsetNanoseconds, typed))
                    {
                        Report("input", offset, line);
                    }

                    break;
                case CommandEvent c when where.Contains("commands"):
                    if (regex.IsMatch(c.Command.Text))
                    {
                        matches++;
                        console.WriteLine($"{session} {TerminalText.FormatOffset(c.OffsetNanoseconds)} command: {RecordingExporter.DescribeCommand(c.Command)}");
                    }

                    break;
            }
        }

        foreach (var (offset, line) in output.Values.SelectMany(s => s.Lines.Flush()))
        {
            Report("output", offset, line);
        }

        foreach (var (offset, line) in input.Lines.Flush())
        {
            Report("input", offset, line);
        }

        return matches;
    }

    private static Decoder NewDecoder() => new UTF8Encoding(false, false).GetDecoder();

    private static string Decode(Decoder decoder, ReadOnlySpan<byte> bytes)
    {
        var chars = new char[decoder.GetCharCount(bytes, flush: false) + 4];
        return new string(chars, 0, decoder.GetChars(bytes, chars, flush: false));
    }
}
