using Broker.Core.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests.Sessions;

public sealed class SessionLimitsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static Task<(Session Session, FakeTimeProvider Time)> StartAsync(SessionLimits limits) => TestSessions.StartTerminalAsync(limits);

    private static async Task<List<SessionEvent>> DrainAsync(Session session)
    {
        var events = new List<SessionEvent>();
        await foreach (var item in session.Events.ReadAllAsync().WithCancellation(new CancellationTokenSource(Timeout).Token))
        {
            events.Add(item);
        }

        return events;
    }

    [Fact]
    public async Task An_idle_session_is_warned_then_closed()
    {
        var (session, time) = await StartAsync(new SessionLimits { IdleTimeout = TimeSpan.FromMinutes(10), WarningBefore = TimeSpan.FromMinutes(1) });
        var drained = DrainAsync(session);

        // The shell's first prompt is activity too, and it may arrive at any point on a loaded
        // machine (restarting the idle count): the clock moves a minute at a time until the session
        // ends, bounded by real time rather than by a count of fake minutes a late prompt could use up.
        var deadline = DateTime.UtcNow + Timeout;
        while (!drained.IsCompleted && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(drained, Task.Delay(20));
        }

        var events = await drained.WaitAsync(Timeout);

        events.OfType<SessionEvent.Notice>().Select(n => n.Kind).Should().ContainInOrder(NoticeKind.IdleTimeoutWarning, NoticeKind.SessionEnding);
        events[^1].Should().BeOfType<SessionEvent.Ended>().Which.Reason.Should().Be(SessionEndReason.IdleTimeout);
    }

    [Fact]
    public async Task Activity_postpones_the_idle_close()
    {
        var (session, time) = await StartAsync(new SessionLimits { IdleTimeout = TimeSpan.FromMinutes(10), WarningBefore = TimeSpan.FromMinutes(1) });
        var drained = DrainAsync(session);
        time.Advance(TimeSpan.FromMinutes(8));
        (await session.SendInputAsync("true\n"u8.ToArray(), default)).Outcome.Should().Be(InputOutcome.Accepted);
        time.Advance(TimeSpan.FromMinutes(8));
        session.IsRunning.Should().BeTrue();
        session.Terminate(SessionEndReason.Terminated, "done");
        var events = await drained.WaitAsync(Timeout);
        events[^1].Should().BeOfType<SessionEvent.Ended>().Which.Reason.Should().Be(SessionEndReason.Terminated);
    }

    [Fact]
    public async Task A_session_is_closed_at_its_maximum_duration_even_when_busy()
    {
        var (session, time) = await StartAsync(new SessionLimits { MaxDuration = TimeSpan.FromHours(1), WarningBefore = TimeSpan.FromMinutes(5) });
        var drained = DrainAsync(session);
        for (var i = 0; i < 12; i++)
        {
            await session.SendInputAsync("true\n"u8.ToArray(), default);
            time.Advance(TimeSpan.FromMinutes(5.5));
        }

        var events = await drained.WaitAsync(Timeout);
        events.OfType<SessionEvent.Notice>().Select(n => n.Kind).Should().Contain(NoticeKind.MaxDurationWarning);
        events[^1].Should().BeOfType<SessionEvent.Ended>().Which.Reason.Should().Be(SessionEndReason.MaxDuration);
    }

    [Fact]
    public async Task Input_after_the_end_is_refused_and_oversized_input_is_rejected()
    {
        var (session, _) = await StartAsync(new SessionLimits { MaxInputFrameBytes = 16 });
        var drained = DrainAsync(session);
        (await session.SendInputAsync(new byte[17], default)).Outcome.Should().Be(InputOutcome.Rejected);
        session.Resize(0, 10).Reason.Should().Contain("0x10");
        await session.SendInputAsync("exit\n"u8.ToArray(), default);
        await drained.WaitAsync(Timeout);
        await session.Completion.WaitAsync(Timeout);
        (await session.SendInputAsync("x"u8.ToArray(), default)).Outcome.Should().Be(InputOutcome.Ended);
    }
}
