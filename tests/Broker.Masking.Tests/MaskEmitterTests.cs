using System.Buffers;
using System.Text;
using Broker.Masking.Emission;
using Broker.Masking.Text;
using Broker.Masking.Views;
using FluentAssertions;

namespace Broker.Masking.Tests;

/// <summary>
/// A masked region already partly written out goes on without a second marker, unless visible text was written between
/// (then the rest is a region of its own). Escape sequences between are no text: the region stays open across them. The
/// emitter looks the text up only while a region is open, so both sides are pinned here.
/// </summary>
public class MaskEmitterTests
{
    [Theory]
    [InlineData("AAAA BBBB CCCC", "[MASKED:x] BBBB [MASKED:x]", 2)]
    [InlineData("AAAA\u001b[0mCCCC", "[MASKED:x]\u001b[0m", 1)]
    public void A_region_going_on_after_written_bytes_gets_a_marker_only_after_visible_text(string input, string expected, long regions)
    {
        var bytes = Encoding.ASCII.GetBytes(input);
        var (raw, plan, emitter, output) = Emitter(bytes);

        plan.Add(0, 4, "x", silent: false);
        emitter.Emit(4, output);
        emitter.Emit(bytes.Length - 4, output);
        // A region that began before the release point: one of its bytes is already written out, masked.
        plan.Add(2, bytes.Length, "x", silent: false);
        emitter.Emit(raw.End, output);

        Encoding.ASCII.GetString(output.Writer.WrittenSpan).Should().Be(expected);
        emitter.Counts["x"].Should().Be(regions);
    }

    [Fact]
    public void Plain_text_after_plain_text_goes_out_as_it_is()
    {
        var bytes = "one two three"u8.ToArray();
        var (_, _, emitter, output) = Emitter(bytes);

        emitter.Emit(3, output);
        emitter.Emit(bytes.Length, output);

        output.Writer.WrittenSpan.ToArray().Should().Equal(bytes);
        emitter.Counts.Should().BeEmpty();
    }

    private static (RawLog Raw, MaskPlan Plan, MaskEmitter Emitter, Output Output) Emitter(byte[] bytes)
    {
        var raw = new RawLog();
        raw.Stage(0, bytes.Length);
        raw.Keep(bytes, released: 0);
        var combined = new LinearView(MaskingProfile.Default, new SecretRegistry());
        var parser = default(TerminalParser);
        parser.Feed(bytes, 0, combined);
        var plan = new MaskPlan();
        return (raw, plan, new MaskEmitter(raw, plan, combined, ReplacementStyle.Named), new Output());
    }

    private sealed class Output : IMaskedOutput
    {
        public ArrayBufferWriter<byte> Writer { get; } = new();

        public IBufferWriter<byte> Channel(int channel) => Writer;
    }
}
