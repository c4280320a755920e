using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Support;

namespace Recorder.Tests;

/// <summary>Every open recording on one clock is flushed by one timer (issue 22: a timer wake-up per typing session per second).</summary>
public sealed class FlushClockTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Many_writers_on_one_clock_share_one_timer_and_each_is_checkpointed_within_one_interval()
    {
        var time = new CountingTimeProvider();
        var options = new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) };
        var destinations = Enumerable.Range(0, 20).Select(_ => new TestStream()).ToList();
        var writers = destinations.Select((d, i) => RecordingWriter.Create(d, TestRecordings.Header($"s-{i}"), _key, options, time)).ToList();
        try
        {
            time.TimersCreated.Should().Be(1, "one timer serves every writer with the same clock and interval");
            for (var i = 0; i < writers.Count; i++)
            {
                writers[i].AppendInput("x"u8);
                writers[i].AppendOutput(OutputStream.Terminal, "x"u8);
            }

            time.Advance(TimeSpan.FromSeconds(1));
            foreach (var destination in destinations)
            {
                var result = await PollAsync(() => TestRecordings.Verify(destination.Snapshot(), _key), r => r.VerifiedRecords == 2);
                result.Status.Should().Be(VerificationStatus.TruncatedAfterCheckpoint);
                result.LastValidCheckpoint.Should().Be(1);
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_writer_that_left_is_no_longer_flushed_and_the_others_still_are()
    {
        var time = new CountingTimeProvider();
        var options = new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) };
        var leaving = new TestStream();
        var staying = new TestStream();
        var first = RecordingWriter.Create(leaving, TestRecordings.Header("s-1"), _key, options, time);
        await using var second = RecordingWriter.Create(staying, TestRecordings.Header("s-2"), _key, options, time);
        first.AppendInput("a"u8);
        await first.DisposeAsync();
        var left = leaving.Snapshot();

        second.AppendInput("b"u8);
        time.Advance(TimeSpan.FromSeconds(1));
        var result = await PollAsync(() => TestRecordings.Verify(staying.Snapshot(), _key), r => r.VerifiedRecords == 1);
        result.LastValidCheckpoint.Should().Be(1);
        leaving.Snapshot().Should().Equal(left, "a disposed writer writes nothing more");
    }

    [Fact]
    public async Task The_last_writer_to_leave_stops_the_timer_and_the_next_writer_starts_one()
    {
        var time = new CountingTimeProvider();
        var options = new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) };
        var first = RecordingWriter.Create(new TestStream(), TestRecordings.Header("s-1"), _key, options, time);
        await first.DisposeAsync();
        time.TimersCreated.Should().Be(1);
        time.TimersDisposed.Should().Be(1, "no writer is left on the clock");

        var destination = new TestStream();
        await using var writer = RecordingWriter.Create(destination, TestRecordings.Header("s-2"), _key, options, time);
        time.TimersCreated.Should().Be(2);
        writer.AppendInput("c"u8);
        time.Advance(TimeSpan.FromSeconds(1));
        var result = await PollAsync(() => TestRecordings.Verify(destination.Snapshot(), _key), r => r.VerifiedRecords == 1);
        result.LastValidCheckpoint.Should().Be(1);
    }

    [Fact]
    public async Task Writers_with_different_flush_intervals_keep_their_own_cadence()
    {
        var time = new CountingTimeProvider();
        var fast = new TestStream();
        var slow = new TestStream();
        await using var fastWriter = RecordingWriter.Create(fast, TestRecordings.Header("s-1"), _key, new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(1) }, time);
        await using var slowWriter = RecordingWriter.Create(slow, TestRecordings.Header("s-2"), _key, new RecordingWriterOptions { FlushInterval = TimeSpan.FromSeconds(5) }, time);
        time.TimersCreated.Should().Be(2);
        fastWriter.AppendInput("f"u8);
        slowWriter.AppendInput("s"u8);

        time.Advance(TimeSpan.FromSeconds(1));
        await PollAsync(() => TestRecordings.Verify(fast.Snapshot(), _key), r => r.VerifiedRecords == 1);
        TestRecordings.Verify(slow.Snapshot(), _key).VerifiedRecords.Should().Be(0, "the slow writer's interval has not passed");

        time.Advance(TimeSpan.FromSeconds(4));
        await PollAsync(() => TestRecordings.Verify(slow.Snapshot(), _key), r => r.VerifiedRecords == 1);
    }

    private static async Task<VerificationResult> PollAsync(Func<VerificationResult> probe, Func<VerificationResult, bool> done)
    {
        using var timeout = new CancellationTokenSource(TestRecordings.Timeout);
        while (true)
        {
            var result = probe();
            if (done(result))
            {
                return result;
            }

            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A fake clock that counts the timers created on it and disposed.</summary>
    private sealed class CountingTimeProvider : FakeTimeProvider
    {
        private int _created;
        private int _disposed;

        public int TimersCreated => Volatile.Read(ref _created);

        public int TimersDisposed => Volatile.Read(ref _disposed);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _created);
            return new CountedTimer(base.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class CountedTimer(ITimer inner, CountingTimeProvider owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                Interlocked.Increment(ref owner._disposed);
                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
