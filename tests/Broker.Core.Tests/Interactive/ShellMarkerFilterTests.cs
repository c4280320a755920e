using System.Buffers;
using System.Text;
using Broker.Core.Interactive;
using Broker.Core.Sessions;

namespace Broker.Core.Tests.Interactive;

public sealed class ShellMarkerFilterTests
{
    private const string Nonce = "0123456789abcdef0123456789abcdef";

    private static (string Output, List<ShellMarker> Markers) Run(IEnumerable<byte[]> chunks, bool flushBetween = false)
    {
        var markers = new List<ShellMarker>();
        var filter = new ShellMarkerFilter(Nonce, markers.Add);
        var output = new OneChannel();
        foreach (var chunk in chunks)
        {
            filter.Push(OutputChannel.Terminal, chunk, output);
            if (flushBetween)
            {
                filter.FlushHeld(output);
            }
        }

        filter.Complete(output);
        return (output.Text, markers);
    }

    private static string Marker(char kind, int? status = null) =>
        $"\u001b]133;{kind};{Nonce}{(status is { } s ? ";" + s.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}\u0007";

    private static readonly string Stream =
        "before" + Marker('A', 0) + "root@host:~# " + Marker('B') + Marker('C') + "output\r\n\u001b[31mred\u001b[0m" + Marker('A', 127) + "end";

    [Fact]
    public void Markers_with_the_nonce_are_removed_and_reported_in_order()
    {
        var (output, markers) = Run([Encoding.UTF8.GetBytes(Stream)]);

        output.Should().Be("beforeroot@host:~# output\r\n\u001b[31mred\u001b[0mend");
        markers.Should().Equal(
            new ShellMarker(ShellMarkerKind.PromptStart, 0),
            new ShellMarker(ShellMarkerKind.PromptEnd, null),
            new ShellMarker(ShellMarkerKind.CommandStart, null),
            new ShellMarker(ShellMarkerKind.PromptStart, 127));
    }

    [Fact]
    public void Every_split_point_gives_the_same_result()
    {
        var bytes = Encoding.UTF8.GetBytes(Stream);
        var whole = Run([bytes]);
        for (var split = 1; split < bytes.Length; split++)
        {
            var parts = Run([bytes[..split], bytes[split..]]);
            parts.Output.Should().Be(whole.Output, $"split at {split}");
            parts.Markers.Should().Equal(whole.Markers, $"split at {split}");
        }
    }

    [Fact]
    public void One_byte_at_a_time_gives_the_same_result()
    {
        var bytes = Encoding.UTF8.GetBytes(Stream);
        var whole = Run([bytes]);
        var single = Run(bytes.Select(b => new[] { b }));
        single.Should().BeEquivalentTo(whole);
    }

    [Theory]
    [InlineData("\u001b]133;A;wrong-nonce;0\u0007")]
    [InlineData("\u001b]133;A;0123456789abcdef0123456789abcdeX;0\u0007")]
    [InlineData("\u001b]133;D;0123456789abcdef0123456789abcdef\u0007")]
    [InlineData("\u001b]133;A;0123456789abcdef0123456789abcdef\u0007")]
    [InlineData("\u001b]133;A;0123456789abcdef0123456789abcdef;\u0007")]
    [InlineData("\u001b]133;A;0123456789abcdef0123456789abcdef;1234\u0007")]
    [InlineData("\u001b]133;B;0123456789abcdef0123456789abcdef\u001b\\")]
    [InlineData("\u001b]0;title\u0007")]
    [InlineData("\u001b\u001b]133;")]
    public void Look_alikes_and_fragments_are_ordinary_output(string text)
    {
        var (output, markers) = Run([Encoding.UTF8.GetBytes(text)]);
        output.Should().Be(text);
        markers.Should().BeEmpty();
    }

    [Fact]
    public void A_held_fragment_is_released_as_output_when_the_delay_passes()
    {
        var markers = new List<ShellMarker>();
        var filter = new ShellMarkerFilter(Nonce, markers.Add);
        var output = new OneChannel();
        filter.Push(OutputChannel.Terminal, "text\u001b]133;A;"u8, output);
        filter.HasHeldBytes.Should().BeTrue();
        output.Text.Should().Be("text");

        filter.FlushHeld(output);

        filter.HasHeldBytes.Should().BeFalse();
        output.Text.Should().Be("text\u001b]133;A;");
        markers.Should().BeEmpty();
    }

    [Fact]
    public void A_marker_cut_inside_its_nonce_by_a_pause_shows_no_part_of_the_nonce_and_is_still_recognised()
    {
        var marker = Encoding.UTF8.GetBytes("out" + Marker('A', 3) + "after");
        var nonceStart = "out".Length + "\u001b]133;A;".Length;
        for (var cut = nonceStart + 1; cut < nonceStart + Nonce.Length; cut++)
        {
            var (output, markers) = Run([marker[..cut], marker[cut..]], flushBetween: true);
            output.Should().Be("outafter", $"cut at {cut}");
            markers.Should().Equal([new ShellMarker(ShellMarkerKind.PromptStart, 3)], $"cut at {cut}");
        }
    }

    [Fact]
    public void A_stream_that_ends_inside_a_marker_drops_the_fragment_instead_of_showing_the_nonce()
    {
        var (output, markers) = Run([Encoding.UTF8.GetBytes("last words\u001b]133;A;" + Nonce[..10])], flushBetween: true);
        output.Should().Be("last words");
        output.Should().NotContain(Nonce[..4]);
        markers.Should().BeEmpty();
    }

    [Fact]
    public void Chained_after_another_filter_the_second_sees_what_the_first_released()
    {
        var markers = new List<ShellMarker>();
        var chain = new ChainedOutputFilter(new ShellMarkerFilter(Nonce, markers.Add), new UpperCaseFilter());
        var output = new OneChannel();
        var bytes = Encoding.UTF8.GetBytes("ab" + Marker('B') + "cd");
        foreach (var b in bytes)
        {
            chain.Push(OutputChannel.Terminal, [b], output);
        }

        chain.Complete(output);
        output.Text.Should().Be("ABCD");
        markers.Should().ContainSingle();
    }

    [Fact]
    public void Chained_filters_keep_each_channel_and_the_order_of_the_runs()
    {
        var chain = new ChainedOutputFilter(PassThroughFilter.Instance, new UpperCaseFilter());
        var output = new Runs();

        chain.Push(OutputChannel.Stdout, "one "u8, output);
        chain.Push(OutputChannel.Stderr, "two "u8, output);
        chain.Push(OutputChannel.Stdout, "three"u8, output);
        chain.Complete(output);

        output.Written.Should().Equal((OutputChannel.Stdout, "ONE "), (OutputChannel.Stderr, "TWO "), (OutputChannel.Stdout, "THREE"));
    }

    private sealed class UpperCaseFilter : IOutputFilter
    {
        public TimeSpan HoldDelay => TimeSpan.Zero;

        public bool HasHeldBytes => false;

        public void Push(OutputChannel channel, ReadOnlySpan<byte> chunk, IOutputSink output) =>
            output.Channel(channel).Write(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(chunk).ToUpperInvariant()));

        public void FlushHeld(IOutputSink output)
        {
        }

        public void EndChannel(OutputChannel channel, IOutputSink output)
        {
        }

        public void Complete(IOutputSink output)
        {
        }
    }

    /// <summary>A terminal's one channel, collected.</summary>
    private sealed class OneChannel : IOutputSink
    {
        private readonly ArrayBufferWriter<byte> _bytes = new();

        public string Text => Encoding.UTF8.GetString(_bytes.WrittenSpan);

        public IBufferWriter<byte> Channel(OutputChannel channel) => _bytes;
    }

    /// <summary>Every channel's writes, as the runs they came in.</summary>
    private sealed class Runs : IOutputSink
    {
        private readonly List<(OutputChannel Channel, ArrayBufferWriter<byte> Bytes)> _runs = [];

        public IReadOnlyList<(OutputChannel, string)> Written => [.. _runs.Where(r => r.Bytes.WrittenCount > 0).Select(r => (r.Channel, Encoding.UTF8.GetString(r.Bytes.WrittenSpan)))];

        public IBufferWriter<byte> Channel(OutputChannel channel)
        {
            if (_runs.Count == 0 || _runs[^1].Channel != channel)
            {
                _runs.Add((channel, new ArrayBufferWriter<byte>()));
            }

            return _runs[^1].Bytes;
        }
    }
}
