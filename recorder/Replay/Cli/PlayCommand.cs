using System.CommandLine;
using Recorder;
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
        var passEscapes = PassEscapesOption.Create();
        var budget = ReadBudgetOption.Create();
        var command = new Command("play", "Play a recording's output with its original timing. Keys: space pause, n next command, + / - speed, q quit.") { location, speed, idleLimit, from, to, passEscapes, budget };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!ReadBudgetOption.TryApply(parse, budget, loader, console))
            {
                return ExitCodes.Usage;
            }

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

            var commands = new Dictionary<long, long>();
            var wanted = new[] { start?.Command, end?.Command }.OfType<long>().ToHashSet();
            if (wanted.Count > 0)
            {
                // A first pass finds the commands named by --from/--to (nothing else is kept), so a wrong number is a usage error before anything plays.
                var count = 0L;
                var scanned = await loader.ReadAsync(source, async recording =>
                {
                    await foreach (var recorded in recording.Events.ConfigureAwait(false))
                    {
                        if (recorded is CommandEvent c)
                        {
                            count++;
                            if (wanted.Contains(c.Command.Number))
                            {
                                commands.TryAdd(c.Command.Number, c.OffsetNanoseconds);
                            }
                        }
                    }
                }, cancellationToken, warnIfDamaged: false).ConfigureAwait(false);
                if (scanned != ExitCodes.Success)
                {
                    return scanned;
                }

                if (commands.Count < wanted.Count)
                {
                    return console.Fail(ExitCodes.Usage, $"the recording has {count} commands");
                }
            }

            var fromNanoseconds = start is { } s ? s.Resolve(commands)!.Value : 0;
            var toNanoseconds = end is { } e ? e.Resolve(commands)!.Value - (e.Command is null ? 0 : 1) : long.MaxValue;
            var idle = parse.GetValue(idleLimit) is { } seconds ? TimeSpan.FromSeconds(Math.Min(seconds, 1e9)) : (TimeSpan?)null;
            var options = new PlaybackOptions(factor, idle, fromNanoseconds, toNanoseconds, parse.GetValue(passEscapes));
            var player = new TerminalPlayer(console);
            var code = await loader.ReadAsync(source, recording => player.PlayAsync(recording, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (code != ExitCodes.Success)
            {
                return code;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
