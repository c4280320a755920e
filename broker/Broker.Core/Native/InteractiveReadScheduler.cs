using System.IO.Pipelines;

namespace Broker.Core.Native;

/// <summary>
/// Runs the consumer of a descriptor's output on the event-loop thread when the output is a
/// small read after a quiet spell (a keystroke's echo, a prompt), and on the thread pool
/// otherwise. An echo then reaches the client without waiting in the pool's queue behind
/// another session's stream, while bulk output never occupies the loop thread.
/// </summary>
internal sealed class InteractiveReadScheduler : PipeScheduler
{
    /// <summary>Reads up to this size count as interactive.</summary>
    public const int InteractiveReadBytes = 1024;

    /// <summary>A read counts as interactive only this long after the previous one, so a stream of small writes stays on the pool.</summary>
    public static readonly TimeSpan QuietSpell = TimeSpan.FromMilliseconds(1);

    private static readonly long QuietTicks = (long)(QuietSpell.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    private long _lastRead;
    private volatile bool _inline;

    /// <summary>Called by the reading thread before it publishes a read of <paramref name="bytes"/> bytes.</summary>
    public void OnRead(int bytes, long timestamp)
    {
        _inline = bytes <= InteractiveReadBytes && timestamp - _lastRead >= QuietTicks;
        _lastRead = timestamp;
    }

    public override void Schedule(Action<object?> action, object? state)
    {
        if (_inline)
        {
            action(state);
            return;
        }

        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
    }
}
