using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// The broker's one clock for hold delays: a hold fires no earlier than its due time and no later than the clock's
/// slack after it, holds falling due together share one timer firing and fire in the order they fell due, and a
/// disposed hold never fires and leaves nothing behind. The clock is fake and moves only where a test moves it.
/// </summary>
public sealed class HoldClockTests
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void A_hold_fires_at_its_due_time_and_not_a_moment_before()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var fired = 0;
        using var hold = clock.Register(() => fired++);

        hold.Schedule(TimeSpan.FromMilliseconds(20));
        time.Advance(TimeSpan.FromMilliseconds(20) - TimeSpan.FromTicks(1));
        fired.Should().Be(0);
        time.Advance(TimeSpan.FromTicks(1));
        fired.Should().Be(1);
        clock.Armed.Should().Be(0, "a hold that fired is armed again only by the next Schedule");

        time.Advance(TimeSpan.FromSeconds(1));
        fired.Should().Be(1);
    }

    [Fact]
    public void Holds_armed_at_different_times_fire_in_the_order_they_fell_due_from_one_timer_firing()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var order = new List<string>();
        using var a = clock.Register(() => order.Add("a"));
        using var b = clock.Register(() => order.Add("b"));
        using var c = clock.Register(() => order.Add("c"));

        a.Schedule(TimeSpan.FromMilliseconds(30));
        time.Advance(2 * Millisecond);
        b.Schedule(TimeSpan.FromMilliseconds(10));
        time.Advance(Millisecond);
        c.Schedule(TimeSpan.FromMilliseconds(20));

        // A machine too busy to run the timer until all three are due.
        time.Advance(TimeSpan.FromMilliseconds(40));

        order.Should().Equal("b", "c", "a");
        time.Firings.Should().Be(1);
    }

    [Fact]
    public void Scheduling_an_armed_hold_again_moves_its_due_time_without_setting_the_timer()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var fired = 0;
        using var hold = clock.Register(() => fired++);

        hold.Schedule(TimeSpan.FromMilliseconds(20));
        time.Advance(TimeSpan.FromMilliseconds(10));
        hold.Schedule(TimeSpan.FromMilliseconds(20));
        time.Changes.Should().Be(1);

        time.Advance(TimeSpan.FromMilliseconds(19));
        fired.Should().Be(0, "the second Schedule came less than its delay ago");
        time.Advance(Millisecond);
        fired.Should().Be(1);
    }

    [Fact]
    public void A_hold_moved_earlier_fires_at_the_earlier_time()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var fired = 0;
        using var hold = clock.Register(() => fired++);

        hold.Schedule(TimeSpan.FromMilliseconds(50));
        hold.Schedule(TimeSpan.FromMilliseconds(20));

        time.Advance(TimeSpan.FromMilliseconds(20));
        fired.Should().Be(1);
    }

    [Fact]
    public void A_disposed_hold_never_fires_and_leaves_the_clock()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var fired = 0;
        var hold = clock.Register(() => fired++);
        hold.Schedule(TimeSpan.FromMilliseconds(20));
        clock.Armed.Should().Be(1);

        hold.Dispose();
        clock.Armed.Should().Be(0);
        hold.Schedule(TimeSpan.FromMilliseconds(20));
        clock.Armed.Should().Be(0, "a disposed hold is not armed again");

        time.Advance(TimeSpan.FromSeconds(1));
        fired.Should().Be(0);
    }

    [Fact]
    public void A_hold_falling_due_just_after_a_firing_waits_for_the_next_one_at_most_the_slack_later()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var (first, second) = (0, 0);
        using var a = clock.Register(() => first++);
        using var b = clock.Register(() => second++);

        a.Schedule(TimeSpan.FromMilliseconds(20));
        time.Advance(2 * Millisecond);
        b.Schedule(TimeSpan.FromMilliseconds(20));

        time.Advance(TimeSpan.FromMilliseconds(18));
        (first, second).Should().Be((1, 0));
        time.Advance(2 * Millisecond);
        second.Should().Be(0, "it shares the next firing, the slack after the last");
        time.Advance(HoldClock.Slack - 2 * Millisecond);
        second.Should().Be(1);
        time.Firings.Should().Be(2);
    }

    [Fact]
    public void Many_sessions_holds_each_fire_once_between_their_due_time_and_the_slack_after_it_from_few_timer_firings()
    {
        const int holds = 1000;
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var due = new DateTimeOffset[holds];
        var firedAt = new List<DateTimeOffset>[holds];
        var registered = new HoldClock.Hold[holds];
        for (var i = 0; i < holds; i++)
        {
            var k = i;
            firedAt[k] = [];
            registered[k] = clock.Register(() => firedAt[k].Add(time.GetUtcNow()));
        }

        // A key every 0.1 ms for 100 ms, each session's hold delay 20 ms; every third session types a second key 3 ms
        // after its first, moving its due time.
        var step = TimeSpan.FromTicks(1000);
        for (var i = 0; i < holds; i++)
        {
            registered[i].Schedule(TimeSpan.FromMilliseconds(20));
            due[i] = time.GetUtcNow() + TimeSpan.FromMilliseconds(20);
            if (i % 3 == 0 && i >= 30)
            {
                registered[i - 30].Schedule(TimeSpan.FromMilliseconds(20));
                due[i - 30] = time.GetUtcNow() + TimeSpan.FromMilliseconds(20);
            }

            time.Advance(step);
        }

        for (var i = 0; i < 300; i++)
        {
            time.Advance(step);
        }

        for (var i = 0; i < holds; i++)
        {
            firedAt[i].Should().ContainSingle();
            firedAt[i][0].Should().BeOnOrAfter(due[i]).And.BeOnOrBefore(due[i] + HoldClock.Slack);
            registered[i].Dispose();
        }

        clock.Armed.Should().Be(0);
        // 120 ms of holds, firings at least the slack apart.
        time.Firings.Should().BeLessThanOrEqualTo(1 + (int)(TimeSpan.FromMilliseconds(120) / HoldClock.Slack));
    }
}
