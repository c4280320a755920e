using System.Threading.Channels;
using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// The call's wait for a session's events (issue 22): an echo per keystroke means a wait per keystroke, and the
/// channel's own wait with a cancellable token allocates a waiter each time. The waiter must wait without one, yet
/// still end with the call.
/// </summary>
public sealed class SessionEventWaiterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_wait_answered_by_an_event_allocates_nothing_where_the_channels_cancellable_wait_allocates_a_waiter()
    {
        const int waits = 2000;
        var events = NewQueue();
        using var call = new CancellationTokenSource();
        using var waiter = new SessionEventWaiter(events.Reader, call.Token);
        var item = new SessionEvent.Notice(NoticeKind.Info, "k");

        // Warm-up: the channel's reusable waiter and the JIT's own allocations are made once.
        WaitThenWrite(events, item, 100, () => waiter.WaitToReadAsync());
        var before = GC.GetAllocatedBytesForCurrentThread();
        WaitThenWrite(events, item, waits, () => waiter.WaitToReadAsync());
        var perWait = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)waits;

        // What the forwarder did before: the same waits through the channel with the call's token.
        WaitThenWrite(events, item, 100, () => events.Reader.WaitToReadAsync(call.Token));
        before = GC.GetAllocatedBytesForCurrentThread();
        WaitThenWrite(events, item, waits, () => events.Reader.WaitToReadAsync(call.Token));
        var perTokenWait = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)waits;

        perWait.Should().BeLessThan(8, "a wait reuses the waiter's one completion source and the channel's one waiter");
        perTokenWait.Should().BeGreaterThan(64, "the channel allocates a waiter for a wait with a cancellable token (why the waiter exists)");
    }

    [Fact]
    public async Task A_pending_wait_ends_with_the_calls_cancellation_and_the_next_wait_throws()
    {
        var events = NewQueue();
        using var call = new CancellationTokenSource();
        using var waiter = new SessionEventWaiter(events.Reader, call.Token);

        var pending = waiter.WaitToReadAsync().AsTask();
        pending.IsCompleted.Should().BeFalse("nothing is queued");
        await call.CancelAsync();

        var waiting = async () => await pending.WaitAsync(Timeout);
        await waiting.Should().ThrowAsync<OperationCanceledException>();
        var next = () => waiter.WaitToReadAsync();
        next.Should().Throw<OperationCanceledException>();

        // The channel's own wait, still parked, is taken by the event that answers it later; the queue works on.
        events.Writer.TryWrite(new SessionEvent.Notice(NoticeKind.Info, "after")).Should().BeTrue();
        events.Reader.TryRead(out var item).Should().BeTrue();
        item.Should().BeOfType<SessionEvent.Notice>().Which.Message.Should().Be("after");
    }

    [Fact]
    public async Task A_wait_says_false_once_the_sessions_events_have_ended_and_true_while_events_are_queued()
    {
        var events = NewQueue();
        using var call = new CancellationTokenSource();
        using var waiter = new SessionEventWaiter(events.Reader, call.Token);

        events.Writer.TryWrite(new SessionEvent.Notice(NoticeKind.Info, "queued")).Should().BeTrue();
        (await waiter.WaitToReadAsync().AsTask().WaitAsync(Timeout)).Should().BeTrue();
        events.Reader.TryRead(out _).Should().BeTrue();

        var pending = waiter.WaitToReadAsync().AsTask();
        var writer = Task.Run(() => events.Writer.TryWrite(new SessionEvent.Ended(0, 0, SessionEndReason.Exited)));
        (await pending.WaitAsync(Timeout)).Should().BeTrue();
        (await writer.WaitAsync(Timeout)).Should().BeTrue();
        events.Reader.TryRead(out var ended).Should().BeTrue();
        ended.Should().BeOfType<SessionEvent.Ended>();

        pending = waiter.WaitToReadAsync().AsTask();
        events.Writer.TryComplete().Should().BeTrue();
        (await pending.WaitAsync(Timeout)).Should().BeFalse();
    }

    // As the session makes its queue: one reader, continuations run by the writer.
    private static Channel<SessionEvent> NewQueue() => Channel.CreateBounded<SessionEvent>(
        new BoundedChannelOptions(32) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait, AllowSynchronousContinuations = true });

    /// <summary>
    /// Starts a wait on an empty queue, answers it with one event on this thread (the continuation runs here) and
    /// takes the event. Checked without assertions: an assertion library's objects would count as the wait's.
    /// </summary>
    private static void WaitThenWrite(Channel<SessionEvent> events, SessionEvent item, int count, Func<ValueTask<bool>> wait)
    {
        for (var i = 0; i < count; i++)
        {
            var pending = wait();
            if (pending.IsCompleted)
            {
                throw new InvalidOperationException("the wait completed before an event was queued");
            }

            if (!events.Writer.TryWrite(item) || !pending.IsCompletedSuccessfully || !pending.Result || !events.Reader.TryRead(out _))
            {
                throw new InvalidOperationException("the event did not answer the wait");
            }
        }
    }
}
