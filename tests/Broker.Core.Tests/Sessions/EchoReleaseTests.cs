using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Broker.Core.Interactive;
using Broker.Core.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// A terminal read that is the echo of keys the client just typed, and all that the filter holds, is released at once
/// (the hold delay firing now); output the program produced on its own waits the whole delay. The clock is a
/// <see cref="FakeTimeProvider"/> that these tests advance only where they say so: a release before that is the echo path.
/// The line-mode editor's echo of typed keys, which the broker shows itself, is released the same way.
/// </summary>
public sealed class EchoReleaseTests
{
    private static readonly TimeSpan HoldDelay = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task The_echo_of_a_typed_key_that_the_filter_holds_is_released_without_waiting_for_the_hold_delay()
    {
        var (output, filter, events, _) = Create();
        using (output)
        {
            output.Typed("g"u8);
            await PushAsync(output, "g"u8.ToArray());

            filter.EchoFlushes.Should().Be(1);
            Released(events).Should().Equal("g"u8.ToArray());
        }
    }

    [Fact]
    public async Task Keys_typed_together_echoed_in_two_reads_are_each_released_at_once()
    {
        var (output, filter, events, _) = Create();
        using (output)
        {
            output.Typed("gh"u8);
            await PushAsync(output, "g"u8.ToArray());
            await PushAsync(output, "h"u8.ToArray());

            filter.EchoFlushes.Should().Be(2);
            Released(events).Should().Equal("gh"u8.ToArray());
        }
    }

    [Fact]
    public async Task Output_the_program_printed_with_nothing_typed_waits_for_the_hold_delay()
    {
        var (output, filter, events, time) = Create();
        using (output)
        {
            await PushAsync(output, "g"u8.ToArray());

            filter.EchoFlushes.Should().Be(0);
            events.Reader.TryRead(out _).Should().BeFalse();
            time.Advance(HoldDelay);
            filter.Flushes.Should().Be(1);
        }
    }

    [Fact]
    public async Task Output_other_than_the_typed_key_waits_for_the_hold_delay_and_the_key_no_longer_counts()
    {
        var (output, filter, events, _) = Create();
        using (output)
        {
            output.Typed("x"u8);
            await PushAsync(output, "g"u8.ToArray());
            filter.EchoFlushes.Should().Be(0, "the program printed something else than the key");

            // The key's echo after other output: the program's own order, not a lone echo.
            await PushAsync(output, "x"u8.ToArray());
            filter.EchoFlushes.Should().Be(0);
            events.Reader.TryRead(out _).Should().BeFalse();
        }
    }

    [Fact]
    public async Task A_read_longer_than_the_typed_keys_waits_for_the_hold_delay()
    {
        var (output, filter, _, _) = Create();
        using (output)
        {
            output.Typed("g"u8);
            await PushAsync(output, "ghp_"u8.ToArray());

            filter.EchoFlushes.Should().Be(0, "the program printed more than the key: its bytes are not the client's");
        }
    }

    [Fact]
    public async Task An_echo_after_bytes_already_held_waits_for_the_hold_delay()
    {
        var (output, filter, _, time) = Create();
        using (output)
        {
            // The program printed `g` on its own; the key typed next is `h`: `gh` is held as the program's output.
            await PushAsync(output, "g"u8.ToArray());
            output.Typed("h"u8);
            await PushAsync(output, "h"u8.ToArray());

            filter.EchoFlushes.Should().Be(0);
            time.Advance(HoldDelay);
            filter.Flushes.Should().Be(1);
        }
    }

    [Fact]
    public async Task An_echo_read_after_the_echo_window_waits_for_the_hold_delay()
    {
        var (output, filter, _, time) = Create();
        using (output)
        {
            output.Typed("g"u8);
            time.Advance(TypedEcho.Window + TimeSpan.FromMilliseconds(1));
            await PushAsync(output, "g"u8.ToArray());

            filter.EchoFlushes.Should().Be(0);
        }
    }

    [Fact]
    public async Task Output_on_another_channel_than_the_terminal_is_never_an_echo()
    {
        var (output, filter, _, _) = Create();
        using (output)
        {
            output.Typed("g"u8);
            await PushAsync(output, "g"u8.ToArray(), OutputChannel.Stdout);

            filter.EchoFlushes.Should().Be(0);
        }
    }

    [Fact]
    public async Task A_paste_longer_than_a_few_keys_is_not_treated_as_keystrokes()
    {
        var (output, filter, _, _) = Create();
        using (output)
        {
            var paste = new byte[TypedEcho.Capacity + 1];
            paste.AsSpan().Fill((byte)'g');
            output.Typed(paste);
            await PushAsync(output, "g"u8.ToArray());

            filter.EchoFlushes.Should().Be(0);
        }
    }

    [Fact]
    public async Task Behind_a_prompt_marker_fragment_the_echo_waits_for_the_hold_delay()
    {
        var time = new FakeTimeProvider();
        var masker = new HoldingFilter();
        var chain = new ChainedOutputFilter(new ShellMarkerFilter("nonce", _ => { }), masker);
        var events = Channel.CreateUnbounded<SessionEvent>();
        using var output = new SessionOutput(chain, 1, DiscardingJournal.Instance, events.Writer, new HoldClock(time), ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);

        // The echo itself is the start of what may be a prompt marker: the marker filter holds it.
        output.Typed("\u001b]13"u8);
        await PushAsync(output, "\u001b]13"u8.ToArray());

        masker.EchoFlushes.Should().Be(0);
        events.Reader.TryRead(out _).Should().BeFalse();
    }

    [Fact]
    public async Task Behind_the_prompt_marker_filter_a_masker_held_echo_is_released_at_once()
    {
        var time = new FakeTimeProvider();
        var masker = new HoldingFilter();
        var chain = new ChainedOutputFilter(new ShellMarkerFilter("nonce", _ => { }), masker);
        var events = Channel.CreateUnbounded<SessionEvent>();
        using var output = new SessionOutput(chain, 1, DiscardingJournal.Instance, events.Writer, new HoldClock(time), ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);

        output.Typed("x"u8);
        await PushAsync(output, "x"u8.ToArray());

        masker.EchoFlushes.Should().Be(1);
        Released(events).Should().Equal("x"u8.ToArray());
    }

    [Fact]
    public async Task A_filter_that_declines_keeps_the_echo_until_the_hold_delay()
    {
        var (output, filter, events, time) = Create(acceptEcho: false);
        using (output)
        {
            output.Typed("g"u8);
            await PushAsync(output, "g"u8.ToArray());

            events.Reader.TryRead(out _).Should().BeFalse();
            time.Advance(HoldDelay);
            filter.Flushes.Should().Be(1);
            Released(events).Should().Equal("g"u8.ToArray());
        }
    }

    [Fact]
    public async Task The_line_editors_echo_of_a_typed_key_is_released_without_waiting_for_the_hold_delay()
    {
        var (output, filter, events, _) = Create();
        using (output)
        {
            await output.ShowAsync(OutputChannel.Terminal, "g"u8.ToArray(), echo: true).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

            filter.EchoFlushes.Should().Be(1);
            Released(events).Should().Equal("g"u8.ToArray());
        }
    }

    [Fact]
    public async Task The_brokers_own_messages_wait_for_the_hold_delay()
    {
        var (output, filter, events, time) = Create();
        using (output)
        {
            await output.ShowAsync(OutputChannel.Terminal, "broker: held\r\n"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

            filter.EchoFlushes.Should().Be(0);
            events.Reader.TryRead(out _).Should().BeFalse();
            time.Advance(HoldDelay);
            filter.Flushes.Should().Be(1);
        }
    }

    [Fact]
    public async Task The_line_editors_echo_after_the_programs_held_output_waits_for_the_hold_delay()
    {
        var (output, filter, events, time) = Create();
        using (output)
        {
            // The shell printed `g` on its own (held); the editor's echo after it is not all that is held.
            await PushAsync(output, "g"u8.ToArray());
            await output.ShowAsync(OutputChannel.Terminal, "h"u8.ToArray(), echo: true).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

            filter.EchoFlushes.Should().Be(0);
            events.Reader.TryRead(out _).Should().BeFalse();
            time.Advance(HoldDelay);
            filter.Flushes.Should().Be(1);
            Released(events).Should().Equal("gh"u8.ToArray());
        }
    }

    private static byte[] Released(Channel<SessionEvent> events)
    {
        var bytes = new List<byte>();
        while (events.Reader.TryRead(out var item))
        {
            bytes.AddRange(item.Should().BeOfType<SessionEvent.Output>().Which.Data.ToArray());
        }

        return [.. bytes];
    }

    private static (SessionOutput Output, HoldingFilter Filter, Channel<SessionEvent> Events, FakeTimeProvider Time) Create(bool acceptEcho = true)
    {
        var time = new FakeTimeProvider();
        var filter = new HoldingFilter { AcceptEcho = acceptEcho };
        var events = Channel.CreateUnbounded<SessionEvent>();
        var output = new SessionOutput(filter, 1, DiscardingJournal.Instance, events.Writer, new HoldClock(time), ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);
        return (output, filter, events, time);
    }

    private static async Task PushAsync(SessionOutput output, byte[] data, OutputChannel channel = OutputChannel.Terminal)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(data).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var read = await pipe.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await output.WriteAsync(channel, pipe.Reader, read.Buffer, endOfChannel: false).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Holds everything it is given until it is flushed; accepts (or declines) an echo flush.</summary>
    private sealed class HoldingFilter : IOutputFilter
    {
        private readonly ArrayBufferWriter<byte> _held = new();

        public bool AcceptEcho { get; init; } = true;

        public int Flushes { get; private set; }

        public int EchoFlushes { get; private set; }

        public TimeSpan HoldDelay => EchoReleaseTests.HoldDelay;

        public bool HasHeldBytes => _held.WrittenCount > 0;

        public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output) => _held.Write(chunk);

        public void FlushHeld(IOutputSink output)
        {
            Flushes++;
            output.Channel(OutputChannel.Terminal).Write(_held.WrittenSpan);
            _held.ResetWrittenCount();
        }

        public bool TryFlushEcho(IOutputSink output)
        {
            if (!AcceptEcho)
            {
                return false;
            }

            EchoFlushes++;
            FlushHeld(output);
            return true;
        }

        public void EndChannel(OutputChannel channel, IOutputSink output) => FlushHeld(output);

        public void Complete(IOutputSink output) => FlushHeld(output);
    }
}
