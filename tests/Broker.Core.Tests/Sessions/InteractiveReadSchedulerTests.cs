using System.Diagnostics;
using Broker.Core.Native;

namespace Broker.Core.Tests.Sessions;

public sealed class InteractiveReadSchedulerTests
{
    private static readonly long Quiet = (long)(InteractiveReadScheduler.QuietSpell.TotalSeconds * Stopwatch.Frequency) + 1;

    private static bool RanInline(InteractiveReadScheduler scheduler)
    {
        var thread = Environment.CurrentManagedThreadId;
        using var done = new ManualResetEventSlim();
        var ranOn = 0;
        scheduler.Schedule(_ =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            done.Set();
        }, null);
        done.Wait(TimeSpan.FromSeconds(60)).Should().BeTrue();
        return ranOn == thread;
    }

    [Fact]
    public void A_small_read_after_a_quiet_spell_is_handled_on_the_reading_thread()
    {
        var scheduler = new InteractiveReadScheduler();
        scheduler.OnRead(1, Quiet * 10);
        RanInline(scheduler).Should().BeTrue();
    }

    [Fact]
    public void Back_to_back_small_reads_and_large_reads_go_to_the_thread_pool()
    {
        var scheduler = new InteractiveReadScheduler();
        var now = Quiet * 10;
        scheduler.OnRead(1, now);
        scheduler.OnRead(1, now + 1);
        RanInline(scheduler).Should().BeFalse("a stream of small writes must not occupy the event loop");

        scheduler.OnRead(InteractiveReadScheduler.InteractiveReadBytes + 1, now + (Quiet * 2));
        RanInline(scheduler).Should().BeFalse("bulk output is filtered on the pool");

        scheduler.OnRead(InteractiveReadScheduler.InteractiveReadBytes, now + (Quiet * 4));
        RanInline(scheduler).Should().BeTrue();
    }
}
