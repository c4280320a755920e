using System.CommandLine;
using Recorder;

namespace Replay.Cli;

/// <summary>`replay commands PATH`: the timeline of commands with decisions, approvals and exit codes.</summary>
internal sealed class CommandsCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build()
    {
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var command = new Command("commands", "List the commands of a session with their decisions, approvals and exit codes.") { location };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                var (recording, code) = await loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
                worst = Math.Max(worst, code);
                if (recording is not null)
                {
                    Print(recording, sources.Count > 1);
                }
            }

            return worst;
        });
        return command;
    }

    private void Print(LoadedRecording recording, bool named)
    {
        if (named)
        {
            console.WriteLine($"== session {recording.Header.SessionId} ({recording.Source.Name})");
        }

        var exits = recording.Events.OfType<CommandExitEvent>().GroupBy(e => e.CommandNumber).ToDictionary(g => g.Key, g => g.Last().ExitCode);
        var approvals = recording.Events.OfType<ApprovalEvent>().ToLookup(a => a.Approval.CommandNumber);
        foreach (var command in recording.Commands)
        {
            var record = command.Command;
            var rule = record.RuleId is null ? "" : $" rule {record.RuleId}";
            var exit = exits.TryGetValue(record.Number, out var code) ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
            console.WriteLine($"#{record.Number,-4} {TerminalText.FormatOffset(command.OffsetNanoseconds)}  {record.Decision,-7} exit {exit,-4} {record.Text}");
            if (rule.Length > 0 || !string.IsNullOrEmpty(record.Reason))
            {
                console.WriteLine($"      {new string(' ', 14)}  {rule.Trim()}{(string.IsNullOrEmpty(record.Reason) ? "" : $": {record.Reason}")}");
            }

            foreach (var approval in approvals[record.Number])
            {
                console.WriteLine($"      {TerminalText.FormatOffset(approval.OffsetNanoseconds)}  {RecordingExporter.DescribeApproval(approval.Approval)}");
            }
        }

        var sessionExit = recording.Events.OfType<ExitEvent>().LastOrDefault();
        if (sessionExit is not null)
        {
            console.WriteLine($"      {TerminalText.FormatOffset(sessionExit.OffsetNanoseconds)}  session exit {sessionExit.Code}: {sessionExit.Reason}");
        }
    }
}
