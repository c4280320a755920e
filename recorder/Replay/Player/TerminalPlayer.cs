using System.Buffers;
using System.Threading.Channels;
using Recorder;
using Replay.Cli;

namespace Replay.Player;

/// <summary>
/// Writes a recording's output with its original timing, streaming (nothing of the recording is held).
/// Output before the start of the window is written at once (so the screen is as it was), then gaps
/// are waited out, divided by the speed and capped by the idle limit. The output passes through a
/// <see cref="TerminalOutputFilter"/>: what acts outside the screen never reaches the auditor's
/// terminal unless asked for. Keys: space pauses, n jumps to the next command, + and - change speed, q stops.
/// </summary>
internal sealed class TerminalPlayer(ReplayConsole console)
{
    private const double MinSpeed = 1.0 / 64;
    private const double MaxSpeed = 1024;

    /// <summary>Longest single timer; a longer gap (a recording may claim centuries) is waited out in several.</summary>
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(1);

    public async Task PlayAsync(OpenedRecording recording, PlaybackOptions options, CancellationToken cancellationToken)
    {
        var speed = options.Speed;
        var keys = console.OpenKeys();
        var filter = new TerminalOutputFilter(options.PassEscapes);
        var filtered = new ArrayBufferWriter<byte>(16 * 1024);
        var position = options.FromNanoseconds;
        var skipping = false;
        await foreach (var recorded in recording.Events.ConfigureAwait(false))
        {
            if (recorded is CommandEvent command)
            {
                // 'n' was pressed: the next command is where timing resumes.
                if (skipping)
                {
                    skipping = false;
                    position = Math.Max(position, command.OffsetNanoseconds);
                }

                continue;
            }

            if (recorded is not OutputEvent output)
            {
                continue;
            }

            if (output.OffsetNanoseconds > options.ToNanoseconds)
            {
                break;
            }

            if (output.OffsetNanoseconds > position && !skipping)
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

                skipping = outcome.NextCommand;
            }

            filtered.ResetWrittenCount();
            filter.Write(output.Data.Span, filtered);
            await WriteAsync(filtered, cancellationToken).ConfigureAwait(false);
            position = Math.Max(position, output.OffsetNanoseconds);
        }

        filtered.ResetWrittenCount();
        filter.Complete(filtered);
        await WriteAsync(filtered, cancellationToken).ConfigureAwait(false);
        if (filter.Filtered.Total > 0)
        {
            await console.Error.WriteLineAsync($"replay: not passed to the terminal: {filter.Filtered.Describe()} (--pass-escapes passes them)").ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(ArrayBufferWriter<byte> bytes, CancellationToken cancellationToken)
    {
        if (bytes.WrittenCount == 0)
        {
            return;
        }

        await console.Output.WriteAsync(bytes.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await console.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
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
            var chunk = Math.Min(remaining, LongestTimer.Ticks * 100.0 * speed);
            var delay = paused
                ? Task.Delay(Timeout.InfiniteTimeSpan, console.Time, wake.Token)
                : Task.Delay(TimeSpan.FromTicks((long)(chunk / speed / 100)), console.Time, wake.Token);
            var key = keys is null ? null : keys.WaitToReadAsync(wake.Token).AsTask();
            var finished = key is null ? await Task.WhenAny(delay).ConfigureAwait(false) : await Task.WhenAny(delay, key).ConfigureAwait(false);
            await wake.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (finished == delay && !paused)
            {
                // The timer ran its course: that much recording time has passed.
                remaining -= chunk;
                continue;
            }

            if (!paused)
            {
                remaining -= console.Time.GetElapsedTime(started).Ticks * 100 * speed;
            }

            if (finished == key && !key.Result)
            {
                keys = null; // the keyboard is gone: play on without keys
                continue;
            }

            if (keys is null || !keys.TryRead(out var pressed))
            {
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
