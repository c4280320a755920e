namespace Broker.Core.Sessions;

/// <summary>The watchdog: idle and maximum-duration limits, warned about before they end the session.</summary>
public sealed partial class Session
{
    private void Touch() => Volatile.Write(ref _lastActivityTicks, _context.Time.GetUtcNow().UtcTicks);

    private void OnWatchdog()
    {
        if (_ended)
        {
            return;
        }

        var now = _context.Time.GetUtcNow();
        var limits = _context.Limits;
        var lastActivity = new DateTimeOffset(Volatile.Read(ref _lastActivityTicks), TimeSpan.Zero);
        var durationEnd = StartedAt + limits.MaxDuration;
        var idleEnd = lastActivity + limits.IdleTimeout;
        if (now >= durationEnd)
        {
            Terminate(SessionEndReason.MaxDuration, $"the session reached its maximum duration of {Format(limits.MaxDuration)}");
            return;
        }

        if (now >= idleEnd)
        {
            Terminate(SessionEndReason.IdleTimeout, $"the session was idle for {Format(limits.IdleTimeout)}");
            return;
        }

        if (!_durationWarned && now >= durationEnd - limits.WarningBefore)
        {
            _durationWarned = true;
            Publish(new SessionEvent.Notice(NoticeKind.MaxDurationWarning, $"the session reaches its maximum duration of {Format(limits.MaxDuration)} in {Format(durationEnd - now)}"));
        }

        if (_idleWarnedForTicks != lastActivity.UtcTicks && now >= idleEnd - limits.WarningBefore)
        {
            _idleWarnedForTicks = lastActivity.UtcTicks;
            Publish(new SessionEvent.Notice(NoticeKind.IdleTimeoutWarning, $"the session is idle and will be closed in {Format(idleEnd - now)}"));
        }

        ScheduleWatchdog(now);
    }

    private void ScheduleWatchdog(DateTimeOffset now)
    {
        var limits = _context.Limits;
        var lastActivity = new DateTimeOffset(Volatile.Read(ref _lastActivityTicks), TimeSpan.Zero);
        var durationEnd = StartedAt + limits.MaxDuration;
        var idleEnd = lastActivity + limits.IdleTimeout;
        var next = durationEnd < idleEnd ? durationEnd : idleEnd;
        if (!_durationWarned && durationEnd - limits.WarningBefore < next)
        {
            next = durationEnd - limits.WarningBefore;
        }

        if (_idleWarnedForTicks != lastActivity.UtcTicks && idleEnd - limits.WarningBefore < next)
        {
            next = idleEnd - limits.WarningBefore;
        }

        var due = next - now;
        _watchdog.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private static string Format(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#}h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#}m" : $"{Math.Max(0, span.TotalSeconds):0}s";
}
