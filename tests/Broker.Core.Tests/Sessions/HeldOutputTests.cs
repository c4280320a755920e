using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Broker.Core.Interactive;
using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// Held output is flushed when the program has been quiet for the filter's hold delay, and only then: time a pump
/// spends not reading because the recording is behind is the broker's pause, not the program's, so a held candidate
/// is decided the same way however slow the recorder is.
/// </summary>
public sealed class HeldOutputTests
{
    private static readonly TimeSpan HoldDelay = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task Held_output_is_flushed_once_the_program_is_quiet_for_the_hold_delay()
    {
        var (output, filter, events, time) = Create();
        using (output)
        {
            await PushAsync(output, "ghp_"u8.ToArray());

            time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(0);
            time.Advance(TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(1);
            events.Reader.TryRead(out var released).Should().BeTrue();
            released.Should().BeOfType<SessionEvent.Output>().Which.Data.ToArray().Should().Equal("ghp_"u8.ToArray());
        }
    }

    [Fact]
    public async Task Held_output_is_not_flushed_while_a_pump_waits_for_the_recording_and_the_delay_starts_over_when_it_reads_again()
    {
        var (output, filter, _, time) = Create();
        using (output)
        {
            await PushAsync(output, "ghp_"u8.ToArray());

            output.HoldBack();
            time.Advance(TimeSpan.FromSeconds(5));
            filter.Flushes.Should().Be(0, "the program's next bytes may be waiting in its pipe");

            output.Resume();
            time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(0);
            time.Advance(TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(1);
        }
    }

    [Fact]
    public async Task Output_that_leaves_bytes_held_while_the_timer_is_armed_moves_the_deadline_without_arming_the_timer_again()
    {
        var (output, filter, events, time) = Create();
        using (output)
        {
            // Four reads 5 ms apart, each leaving everything held: one arming, not four.
            foreach (var piece in new[] { "g"u8.ToArray(), "h"u8.ToArray(), "p"u8.ToArray(), "_"u8.ToArray() })
            {
                if (piece[0] != (byte)'g')
                {
                    time.Advance(TimeSpan.FromMilliseconds(5));
                }

                await PushAsync(output, piece);
            }

            time.Changes.Should().Be(1);

            // Released the hold delay after the last read, neither earlier nor later.
            time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(0);
            time.Advance(TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(1);
            events.Reader.TryRead(out var released).Should().BeTrue();
            released.Should().BeOfType<SessionEvent.Output>().Which.Data.ToArray().Should().Equal("ghp_"u8.ToArray());

            // The first firing came early and waited out the rest once.
            time.Changes.Should().Be(2);
        }
    }

    [Fact]
    public async Task Output_after_a_flush_arms_the_timer_again()
    {
        var (output, filter, _, time) = Create();
        using (output)
        {
            await PushAsync(output, "ghp_"u8.ToArray());
            time.Advance(HoldDelay);
            filter.Flushes.Should().Be(1);

            await PushAsync(output, "ghp_"u8.ToArray());
            time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(1);
            time.Advance(TimeSpan.FromMilliseconds(1));
            filter.Flushes.Should().Be(2);
        }
    }

    [Fact]
    public async Task Behind_the_prompt_marker_filter_a_masker_tail_is_released_after_the_masker_delay_not_the_marker_filter_delay()
    {
        // The first key typed after a line was erased is such a tail: held by the masker, with no marker fragment held.
        var time = new TimerCountingTimeProvider();
        var masker = new HoldingFilter();
        var chain = new ChainedOutputFilter(new ShellMarkerFilter("nonce", _ => { }), masker);
        var events = Channel.CreateUnbounded<SessionEvent>();
        using var output = new SessionOutput(chain, 1, DiscardingJournal.Instance, events.Writer, new HoldClock(time), ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);

        await PushAsync(output, "x"u8.ToArray(), OutputChannel.Terminal);
        time.Advance(HoldDelay - TimeSpan.FromMilliseconds(1));
        masker.Flushes.Should().Be(0);
        time.Advance(TimeSpan.FromMilliseconds(1));
        masker.Flushes.Should().Be(1);
        events.Reader.TryRead(out var released).Should().BeTrue();
        released.Should().BeOfType<SessionEvent.Output>().Which.Data.ToArray().Should().Equal("x"u8.ToArray());
    }

    [Fact]
    public async Task A_disposed_output_leaves_no_hold_on_the_broker_clock_and_never_flushes()
    {
        var time = new TimerCountingTimeProvider();
        var clock = new HoldClock(time);
        var filter = new HoldingFilter();
        var events = Channel.CreateUnbounded<SessionEvent>();
        var output = new SessionOutput(filter, 1, DiscardingJournal.Instance, events.Writer, clock, ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);

        await PushAsync(output, "ghp_"u8.ToArray());
        clock.Armed.Should().Be(1);
        output.Dispose();
        clock.Armed.Should().Be(0);

        time.Advance(TimeSpan.FromSeconds(1));
        filter.Flushes.Should().Be(0);
    }

    [Fact]
    public void A_chain_waits_the_longer_delay_only_while_its_first_filter_holds_bytes()
    {
        var chain = new ChainedOutputFilter(new ShellMarkerFilter("nonce", _ => { }), new HoldingFilter());
        var sink = new DiscardingSink();

        chain.HoldDelay.Should().Be(HoldDelay);
        chain.Push(OutputChannel.Terminal, "\u001b]13"u8, sink);
        chain.HoldDelay.Should().Be(TimeSpan.FromMilliseconds(50), "a fragment of a prompt marker is held");

        var passThrough = new ChainedOutputFilter(new ShellMarkerFilter("nonce", _ => { }), PassThroughFilter.Instance);
        passThrough.HoldDelay.Should().Be(TimeSpan.FromMilliseconds(50), "the hold timer must exist for the marker filter's fragments");
    }

    private static (SessionOutput Output, HoldingFilter Filter, Channel<SessionEvent> Events, TimerCountingTimeProvider Time) Create()
    {
        var time = new TimerCountingTimeProvider();
        var filter = new HoldingFilter();
        var events = Channel.CreateUnbounded<SessionEvent>();
        var output = new SessionOutput(filter, 1, DiscardingJournal.Instance, events.Writer, new HoldClock(time), ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);
        return (output, filter, events, time);
    }

    private static async Task PushAsync(SessionOutput output, byte[] data, OutputChannel channel = OutputChannel.Stdout)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(data).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var read = await pipe.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await output.WriteAsync(channel, pipe.Reader, read.Buffer, endOfChannel: false).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class DiscardingSink : IOutputSink
    {
        private readonly ArrayBufferWriter<byte> _bytes = new();

        public IBufferWriter<byte> Channel(OutputChannel channel) => _bytes;
    }

    /// <summary>Holds everything it is given until the hold delay passes.</summary>
    private sealed class HoldingFilter : IOutputFilter
    {
        private readonly ArrayBufferWriter<byte> _held = new();

        public int Flushes { get; private set; }

        public TimeSpan HoldDelay => HeldOutputTests.HoldDelay;

        public bool HasHeldBytes => _held.WrittenCount > 0;

        public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output) => _held.Write(chunk);

        public void FlushHeld(IOutputSink output)
        {
            Flushes++;
            output.Channel(OutputChannel.Stdout).Write(_held.WrittenSpan);
            _held.ResetWrittenCount();
        }

        public void EndChannel(OutputChannel channel, IOutputSink output) => FlushHeld(output);

        public void Complete(IOutputSink output) => FlushHeld(output);
    }
}
