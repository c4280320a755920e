using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

/// <summary>Notices posted while the client does not read: bounded, and the client is told what it missed.</summary>
public sealed class SessionEventQueueTests
{
    private static readonly SessionLimits Limits = new() { IdleTimeout = TimeSpan.FromHours(1), MaxDuration = TimeSpan.FromHours(2), WarningBefore = TimeSpan.FromMinutes(1) };

    [Fact]
    public async Task Notices_nobody_reads_park_at_most_the_cap_and_the_client_is_told_how_many_it_missed()
    {
        var (session, _) = await TestSessions.StartTerminalAsync(Limits);
        try
        {
            for (var i = 0; i < 10_000; i++)
            {
                session.PostNotice(NoticeKind.FrameRejected, $"INVALID_ARGUMENT: rejected frame {i}");
            }

            session.ParkedEvents.Should().BeLessThanOrEqualTo(Session.MaxParkedEvents);
            session.DroppedEvents.Should().BeGreaterThan(9_000);

            var notices = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!notices.Exists(n => n.Contains("were not delivered", StringComparison.Ordinal)))
            {
                var item = await session.Events.ReadAsync(timeout.Token);
                if (item is SessionEvent.Notice notice)
                {
                    notices.Add(notice.Message);
                }

                (item as SessionEvent.Output)?.Release();
            }

            var missed = notices.Single(n => n.Contains("were not delivered", StringComparison.Ordinal));
            var delivered = notices.Count(n => n.StartsWith("INVALID_ARGUMENT", StringComparison.Ordinal));
            delivered.Should().BeLessThanOrEqualTo(Session.MaxParkedEvents + 32, "at most the queue and the parked writers");
            missed.Should().StartWith($"{10_000 - delivered} notices or decisions were not delivered");
            // The last writer leaves the count just after its event was taken. The queue runs its reader's continuation
            // on the writer's thread, so this test may itself be running inside that writer's call: it must yield while
            // it waits (a blocking spin would hold the very decrement it waits for).
            using var settle = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (session.ParkedEvents != 0)
            {
                await Task.Delay(10, settle.Token);
            }
        }
        finally
        {
            session.Abandon();
            await session.Completion.WaitAsync(TimeSpan.FromSeconds(30));
            session.Dispose();
        }
    }
}
