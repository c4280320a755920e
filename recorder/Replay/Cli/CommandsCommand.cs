using System.CommandLine;
using Recorder;

namespace Replay.Cli;

/// <summary>`replay commands PATH`: the timeline of commands with decisions, approvals and exit codes.</summary>
internal sealed class CommandsCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build()
    {
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var budget = ReadBudgetOption.Create();
        var command = new Command("commands", "List the commands of a session with their decisions, approvals and exit codes.") { location, budget };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ReadBudgetOption.TryApply(parse, budget, loader, console))
            {
                return ExitCodes.Usage;
            }

            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                var code = await loader.ReadAsync(source, recording => PrintAsync(recording, sources.Count > 1), cancellationToken).ConfigureAwait(false);
                worst = Math.Max(worst, code);
            }

            return worst;
        });
        return command;
    }

    private async Task PrintAsync(OpenedRecording recording, bool named)
    {
        if (named)
        {
            console.WriteLine($"== session {UntrustedText.Neutralize(recording.Header.SessionId, 256)} ({UntrustedText.Neutralize(recording.Source.Name)})");
        }

        var timeline = new CommandTimeline(console.WriteLine);
        await foreach (var recorded in recording.Events.ConfigureAwait(false))
        {
            timeline.Add(recorded);
        }

        timeline.Complete();
    }
}
