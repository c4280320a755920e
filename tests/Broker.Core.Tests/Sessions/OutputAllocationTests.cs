using System.Threading.Channels;
using Broker.Core.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace Broker.Core.Tests.Sessions;

/// <summary>
/// What a keystroke's echo allocates on its way through a session's output (issue 22): at 1,000 typing sessions every
/// object per event is a share of the gen0 collections that make the echo's tail. The event itself is the one object
/// left; the buffer it was written in and the walk over the chained filters' runs are reused.
/// </summary>
public sealed class OutputAllocationTests
{
    [Fact]
    public async Task An_echoed_key_through_two_chained_filters_allocates_only_its_event()
    {
        const int keys = 2000;
        var events = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(16) { SingleReader = true });
        var chain = new ChainedOutputFilter(new PassThroughFilter(), new PassThroughFilter());
        using var output = new SessionOutput(chain, 1, DiscardingJournal.Instance, events.Writer, new HoldClock(new FakeTimeProvider()), ex => throw new InvalidOperationException("the filter failed", ex), CancellationToken.None);
        var received = new List<byte>(100 + keys);

        // Warm-up: the pool's array for an event and the filters' own buffers are made once.
        await ShowKeysAsync(output, events, received, 100);
        var before = GC.GetAllocatedBytesForCurrentThread();
        await ShowKeysAsync(output, events, received, keys);
        var perKey = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)keys;

        // The event is 48 bytes; before, a new output buffer (32) and a boxed enumerator of the runs (48) came with it.
        perKey.Should().BeLessThan(80, "an echo costs its event, not a new buffer and an enumerator as well");
        received.Should().HaveCount(100 + keys).And.OnlyContain(b => b == (byte)'k');
    }

    /// <summary>
    /// Shows one key at a time and takes its event as the gRPC writer does (read, copied out, released). Everything
    /// completes synchronously on this thread: the gate is free and the queue has room.
    /// </summary>
    private static async Task ShowKeysAsync(SessionOutput output, Channel<SessionEvent> events, List<byte> received, int count)
    {
        var key = new byte[] { (byte)'k' };
        for (var i = 0; i < count; i++)
        {
            // Checked without assertions: an assertion library's own objects would count as the echo's.
            var shown = output.ShowAsync(OutputChannel.Terminal, key);
            if (!shown.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("showing a key waited: the gate was taken or the queue full");
            }

            await shown;
            if (!events.Reader.TryRead(out var item) || item is not SessionEvent.Output echo)
            {
                throw new InvalidOperationException("the key's event was not queued");
            }

            received.AddRange(echo.Data.Span);
            echo.Release();
        }
    }
}
