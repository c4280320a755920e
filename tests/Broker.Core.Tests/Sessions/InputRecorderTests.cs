using System.Buffers;
using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// Typed input the masker holds is recorded once no key came for the filter's hold delay, and the hold timer is armed
/// once per quiet spell, not once per keystroke.
/// </summary>
public sealed class InputRecorderTests
{
    private static readonly TimeSpan HoldDelay = TimeSpan.FromMilliseconds(20);

    [Fact]
    public void Held_input_is_recorded_once_no_key_came_for_the_hold_delay()
    {
        var (recorder, journal, time) = Create();
        using (recorder)
        {
            recorder.Record("ghp_"u8, redact: false);

            time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
            journal.Recorded.Should().BeEmpty();
            time.Advance(TimeSpan.FromMilliseconds(1));
            journal.Recorded.Should().Equal("ghp_"u8.ToArray());
        }
    }

    [Fact]
    public void Keys_typed_while_the_timer_is_armed_move_the_deadline_without_arming_the_timer_again()
    {
        var (recorder, journal, time) = Create();
        using (recorder)
        {
            recorder.Record("g"u8, redact: false);
            foreach (var key in new[] { "h"u8.ToArray(), "p"u8.ToArray(), "_"u8.ToArray() })
            {
                time.Advance(TimeSpan.FromMilliseconds(5));
                recorder.Record(key, redact: false);
            }

            time.Changes.Should().Be(1);

            time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
            journal.Recorded.Should().BeEmpty("the last key came less than the hold delay ago");
            time.Advance(TimeSpan.FromMilliseconds(1));
            journal.Recorded.Should().Equal("ghp_"u8.ToArray());
            time.Changes.Should().Be(2, "the first firing came early and waited out the rest once");
        }
    }

    [Fact]
    public void A_firing_after_the_recorder_is_disposed_records_nothing()
    {
        var (recorder, journal, time) = Create();
        recorder.Record("ghp_"u8, redact: false);
        recorder.Dispose();

        time.Advance(HoldDelay * 2);

        journal.Recorded.Should().BeEmpty();
    }

    [Fact]
    public void Recorders_on_one_clock_each_record_after_their_own_last_key_and_an_ended_one_leaves_the_clock()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var (firstJournal, secondJournal) = (new InputJournal(), new InputJournal());
        using var first = new InputRecorder(new HoldingInputFilter(), firstJournal, clock);
        var second = new InputRecorder(new HoldingInputFilter(), secondJournal, clock);

        first.Record("ghp_"u8, redact: false);
        time.Advance(TimeSpan.FromMilliseconds(10));
        second.Record("AKIA"u8, redact: false);
        clock.Armed.Should().Be(2);

        time.Advance(TimeSpan.FromMilliseconds(10));
        firstJournal.Recorded.Should().Equal("ghp_"u8.ToArray());
        secondJournal.Recorded.Should().BeEmpty("its key came 10 ms ago");

        second.Record("x"u8, redact: false);
        second.Dispose();
        clock.Armed.Should().Be(0, "an ended session's hold is not left on the clock");
        time.Advance(TimeSpan.FromSeconds(1));
        secondJournal.Recorded.Should().BeEmpty();
    }

    private static (InputRecorder Recorder, InputJournal Journal, TimerCountingTimeProvider Time) Create()
    {
        var time = new TimerCountingTimeProvider();
        var journal = new InputJournal();
        return (new InputRecorder(new HoldingInputFilter(), journal, new HoldClock(time)), journal, time);
    }

    /// <summary>Holds everything it is given until the hold delay passes.</summary>
    private sealed class HoldingInputFilter : IInputFilter
    {
        private readonly ArrayBufferWriter<byte> _held = new();

        public TimeSpan HoldDelay => InputRecorderTests.HoldDelay;

        public bool HasHeldBytes => _held.WrittenCount > 0;

        public void Push(ReadOnlySpan<byte> input, IBufferWriter<byte> output) => _held.Write(input);

        public void FlushHeld(IBufferWriter<byte> output)
        {
            output.Write(_held.WrittenSpan);
            _held.ResetWrittenCount();
        }

        public void Complete(IBufferWriter<byte> output) => FlushHeld(output);
    }

    /// <summary>Keeps the recorded input.</summary>
    private sealed class InputJournal : ISessionJournal
    {
        private readonly List<byte> _recorded = [];

        public byte[] Recorded => [.. _recorded];

        public Task<Exception> Faulted { get; } = new TaskCompletionSource<Exception>().Task;

        public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Input(ReadOnlySpan<byte> data) => _recorded.AddRange(data);

        public void Output(OutputChannel channel, ReadOnlySpan<byte> data)
        {
        }

        public void Resize(int columns, int rows)
        {
        }

        public void Notice(NoticeKind kind, string message)
        {
        }

        public void Ended(SessionEvent.Ended ended)
        {
        }

        public Task CompleteAsync() => Task.CompletedTask;
    }
}
