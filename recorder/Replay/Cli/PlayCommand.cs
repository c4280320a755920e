using System.CommandLine;
using Replay.Player;

namespace Replay.Cli;

/// <summary>`replay play PATH [--speed X] [--idle-limit S] [--from P] [--to P]`.</summary>
internal sealed class PlayCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build()
    {
        var location = new Argument<string>("recording") { Description = "A recording file." };
        var speed = new Option<double>("--speed", "-s") { Description = "Playback speed factor (2 = twice as fast).", DefaultValueFactory = _ => 1.0 };
        var idleLimit = new Option<double?>("--idle-limit", "-i") { Description = "Longest pause, in seconds, between two outputs." };
        var from = new Option<string?>("--from") { Description = "Start at a time (90, 1:30, 0:01:30.5) or a command (#3); earlier output is shown at once." };
        var to = new Option<string?>("--to") { Description = "Stop at a time or just before a command (#5)." };
        var command = new Command("play", "Play a recording's output with its original timing. Keys: space pause, n next command, + / - speed, q quit.") { location, speed, idleLimit, from, to };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var factor = parse.GetValue(speed);
            if (factor is <= 0 or > 1024 || double.IsNaN(factor))
            {
                return console.Fail(ExitCodes.Usage, "--speed must be greater than 0 and at most 1024");
            }

            if (parse.GetValue(idleLimit) is < 0)
            {
                return console.Fail(ExitCodes.Usage, "--idle-limit must not be negative");
            }

            Position? start = null;
            Position? end = null;
            foreach (var (text, isStart) in new[] { (parse.GetValue(from), true), (parse.GetValue(to), false) })
            {
                if (text is null)
                {
                    continue;
                }

                if (!Position.TryParse(text, out var parsed, out var error))
                {
                    return console.Fail(ExitCodes.Usage, error!);
                }

                if (isStart)
                {
                    start = parsed;
                }
                else
                {
                    end = parsed;
                }
            }

            var (source, exitCode) = await loader.ResolveOneAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (source is null)
            {
                return exitCode;
            }

            var (recording, loadCode) = await loader.LoadAsync(source, cancellationToken).ConfigureAwait(false);
            if (recording is null)
            {
                return loadCode;
            }

            var fromNanoseconds = start is { } s ? s.Resolve(recording) : 0;
            var toNanoseconds = end is { } e ? e.Resolve(recording) - (e.Command is null ? 0 : 1) : long.MaxValue;
            if (fromNanoseconds is null || toNanoseconds is null)
            {
                return console.Fail(ExitCodes.Usage, $"the recording has {recording.Commands.Count()} commands");
            }

            var idle = parse.GetValue(idleLimit) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            await new TerminalPlayer(console).PlayAsync(recording, new PlaybackOptions(factor, idle, fromNanoseconds.Value, toNanoseconds.Value), cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
