using System.Threading.Channels;
using Recorder;
using Replay.Cli;

namespace Replay.Player;

/// <summary>
/// Writes a recording's output with its original timing. Output before the start of the window is
/// written at once (so the screen is as it was), then gaps are waited out, divided by the speed and
/// capped by the idle limit. Keys: space pauses, n jumps to the next command, + and - change speed, q stops.
/// </summary>
internal sealed class TerminalPlayer(ReplayConsole console)
{
    private const double MinSpeed = 1.0 / 64;
    private const double MaxSpeed = 1024;

    public async Task PlayAsync(LoadedRecording recording, PlaybackOptions options, CancellationToken cancellationToken)
    {
        var speed = options.Speed;
        var keys = console.OpenKeys();
        var commands = recording.Commands.Select(c => c.OffsetNanoseconds).ToArray();
        var position = options.FromNanoseconds;
        var skipUntil = -1L;
        foreach (var output in recording.Events.OfType<OutputEvent>())
        {
            if (output.OffsetNanoseconds > options.ToNanoseconds)
            {
                break;
            }

            if (output.OffsetNanoseconds > position && output.OffsetNanoseconds > skipUntil)
            {
                var gap = output.OffsetNanoseconds - position;
                if (options.IdleLimit is { } limit)
                {
                    gap = Math.Min(gap, limit.Ticks * 100);
                }

                var outcome = await WaitAsync(gap, speed, keys, cancellationToken).ConfigureAwait(false);
                speed = outcome.Speed;
                if (outcome.Stop)
                {
                    break;
                }

                if (outcome.NextCommand)
                {
                    var next = Array.FindIndex(commands, c => c > position);
                    skipUntil = next < 0 ? long.MaxValue : commands[next];
                }
            }

            await console.Output.WriteAsync(output.Data, cancellationToken).ConfigureAwait(false);
            await console.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            position = Math.Max(position, output.OffsetNanoseconds);
        }
    }

    /// <summary>Waits out <paramref name="gap"/> nanoseconds of recording time, reacting to keys.</summary>
    private async Task<WaitOutcome> WaitAsync(long gap, double speed, ChannelReader<char>? keys, CancellationToken cancellationToken)
    {
        var remaining = (double)gap;
        var paused = false;
        while (remaining > 0 || paused)
        {
            var started = console.Time.GetTimestamp();
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = paused
                ? Task.Delay(Timeout.InfiniteTimeSpan, console.Time, wake.Token)
                : Task.Delay(TimeSpan.FromTicks((long)(remaining / speed / 100)), console.Time, wake.Token);
            var key = keys is null ? null : keys.WaitToReadAsync(wake.Token).AsTask();
            var finished = key is null ? await Task.WhenAny(delay).ConfigureAwait(false) : await Task.WhenAny(delay, key).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (!paused)
            {
                remaining -= console.Time.GetElapsedTime(started).Ticks * 100 * speed;
            }

            if (finished == delay || keys is null || !keys.TryRead(out var pressed))
            {
                if (finished == delay && !paused)
                {
                    break;
                }

                continue;
            }

            switch (pressed)
            {
                case ' ':
                    paused = !paused;
                    break;
                case 'n':
                    return new WaitOutcome(speed, NextCommand: true, Stop: false);
                case '+':
                    speed = Math.Min(MaxSpeed, speed * 2);
                    break;
                case '-':
                    speed = Math.Max(MinSpeed, speed / 2);
                    break;
                case 'q':
                    return new WaitOutcome(speed, NextCommand: false, Stop: true);
            }
        }

        return new WaitOutcome(speed, NextCommand: false, Stop: false);
    }

    private readonly record struct WaitOutcome(double Speed, bool NextCommand, bool Stop);
}
