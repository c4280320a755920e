using System.CommandLine;
using Recorder;

namespace Replay.Cli;

/// <summary>
/// `replay search REGEX PATH [--in output|input|commands]`: matching lines with session and time
/// offset. Streams every recording (nothing is held but the line being assembled, within a budget), so
/// any number of recordings of any size can be searched; a damaged one is searched up to the damage
/// and the search goes on with the next.
/// </summary>
internal sealed class SearchCommand(ReplayConsole console, RecordingLoader loader)
{
    /// <summary>Characters of a line longer than the budget that are searched again with the next piece, so a match across the cut is found.</summary>
    public const int Overlap = 1024;

    /// <summary>Characters shown either side of a match in a piece of a long line.</summary>
    private const int ExcerptContext = 160;

    public Command Build()
    {
        var pattern = new Argument<string>("regex") { Description = "A .NET regular expression, matched against each plain-text line." };
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var scope = new Option<string[]>("--in") { Description = "Where to look: output, input, commands (repeatable; default all).", AllowMultipleArgumentsPerToken = true };
        scope.AcceptOnlyFromAmong("output", "input", "commands");
        var budget = ReadBudgetOption.Create();
        var command = new Command("search", "Find lines matching a regular expression in output, input or commands.") { pattern, location, scope, budget };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!LineMatcher.TryCreate(parse.GetRequiredValue(pattern), out var matcher, out var error))
            {
                return console.Fail(ExitCodes.Usage, $"invalid regular expression: {error}");
            }

            if (!ReadBudgetOption.TryApply(parse, budget, loader, console))
            {
                return ExitCodes.Usage;
            }

            var where = parse.GetValue(scope) is { Length: > 0 } chosen ? chosen.ToHashSet(StringComparer.Ordinal) : ["output", "input", "commands"];
            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var matches = 0L;
            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                var code = await loader.ReadAsync(source, async recording => matches += await SearchAsync(recording, matcher, where).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                worst = Math.Max(worst, code);
            }

            return worst != ExitCodes.Success ? worst : matches > 0 ? ExitCodes.Success : ExitCodes.NoMatch;
        });
        return command;
    }

    private async Task<long> SearchAsync(OpenedRecording recording, LineMatcher matcher, HashSet<string> where)
    {
        var search = new RecordingSearch(console, matcher, UntrustedText.Neutralize(recording.Header.SessionId, 256));
        var output = new Dictionary<OutputStream, LineSearch>();
        var input = new LineSearch("input", carriageReturnEndsLine: true);
        var last = 0L;
        await foreach (var recorded in recording.Events.ConfigureAwait(false))
        {
            last = recorded.OffsetNanoseconds;
            switch (recorded)
            {
                case OutputEvent o when where.Contains("output"):
                    if (!output.TryGetValue(o.Stream, out var lines))
                    {
                        lines = new LineSearch("output", carriageReturnEndsLine: false);
                        output[o.Stream] = lines;
                    }

                    lines.Push(o.OffsetNanoseconds, o.Data.Span, search);
                    break;
                case InputEvent i when where.Contains("input"):
                    input.Push(i.OffsetNanoseconds, i.Data.Span, search);
                    break;
                case CommandEvent c when where.Contains("commands"):
                    search.Command(c);
                    break;
            }
        }

        foreach (var lines in output.Values)
        {
            lines.Complete(last, search);
        }

        input.Complete(last, search);
        if (matcher.TakeTimeouts() is > 0 and var timedOut)
        {
            console.Warn($"{recording.Source.Name}: the expression took too long on {timedOut} lines, which were skipped");
        }

        return search.Matches;
    }

    /// <summary>Reports the matches of one recording.</summary>
    private sealed class RecordingSearch(ReplayConsole console, LineMatcher matcher, string session)
    {
        public long Matches { get; private set; }

        public void Command(CommandEvent command)
        {
            if (matcher.Match(command.Command.Text, 0) is not null)
            {
                Report($"{TerminalText.FormatOffset(command.OffsetNanoseconds)} command: {RecordingExporter.DescribeCommand(command.Command)}");
            }
        }

        public void Line(string kind, TranscriptLine line, string previousTail)
        {
            if (!line.IsContinuation && !line.Continues)
            {
                if (matcher.Match(line.Text, 0) is not null)
                {
                    Report($"{TerminalText.FormatOffset(line.OffsetNanoseconds)} {kind}: {line.Text}");
                }

                return;
            }

            // A piece of a line longer than the budget: searched with the end of the piece before it,
            // counting only matches that reach into this piece (the others were found before).
            var window = previousTail + line.Text;
            if (matcher.Match(window, previousTail.Length) is { } match)
            {
                var from = Math.Max(0, match.Index - ExcerptContext);
                var to = Math.Min(window.Length, match.Index + Math.Min(match.Length, 4 * ExcerptContext) + ExcerptContext);
                var excerpt = $"{(from > 0 ? UntrustedText.Ellipsis : "")}{window[from..to]}{(to < window.Length || line.Continues ? UntrustedText.Ellipsis : "")}";
                Report($"{TerminalText.FormatOffset(line.OffsetNanoseconds)} {kind} (long line, excerpt): {excerpt}");
            }
        }

        private void Report(string text)
        {
            Matches++;
            console.WriteLine($"{session} {text}");
        }
    }

    /// <summary>The lines of one stream (an output stream, or the input), searched as they complete.</summary>
    private sealed class LineSearch(string kind, bool carriageReturnEndsLine)
    {
        private readonly TranscriptLines _lines = new(TranscriptLines.DefaultMaxLineCharacters, carriageReturnEndsLine);
        private readonly List<TranscriptLine> _completed = [];
        private string _tail = "";

        public void Push(long offset, ReadOnlySpan<byte> data, RecordingSearch search)
        {
            _lines.Push(offset, data, _completed);
            Search(search);
        }

        public void Complete(long offset, RecordingSearch search)
        {
            _lines.Complete(offset, _completed);
            Search(search);
        }

        private void Search(RecordingSearch search)
        {
            foreach (var line in _completed)
            {
                search.Line(kind, line, line.IsContinuation ? _tail : "");
                _tail = line.Continues ? line.Text[Math.Max(0, line.Text.Length - Overlap)..] : "";
            }

            _completed.Clear();
        }
    }
}
