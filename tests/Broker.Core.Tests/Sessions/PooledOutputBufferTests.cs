using Broker.Core.Sessions;

namespace Broker.Core.Tests.Sessions;

public sealed class PooledOutputBufferTests
{
    [Fact]
    public void Bytes_written_across_growth_are_handed_over_intact_and_the_buffer_starts_empty_again()
    {
        var buffer = new PooledOutputBuffer();
        var expected = new byte[100_000];
        new Random(7).NextBytes(expected);
        for (var offset = 0; offset < expected.Length; offset += 333)
        {
            var piece = expected.AsSpan(offset, Math.Min(333, expected.Length - offset));
            piece.CopyTo(buffer.GetSpan(piece.Length));
            buffer.Advance(piece.Length);
        }

        buffer.WrittenCount.Should().Be(expected.Length);
        var output = buffer.Detach(OutputChannel.Stdout);
        output.Stream.Should().Be(OutputChannel.Stdout);
        output.Data.ToArray().Should().Equal(expected);
        buffer.WrittenCount.Should().Be(0);

        "next"u8.CopyTo(buffer.GetSpan(4));
        buffer.Advance(4);
        var next = buffer.Detach(OutputChannel.Stderr);
        next.Data.ToArray().Should().Equal("next"u8.ToArray());
        output.Data.ToArray().Should().Equal(expected, "a detached event keeps its own array");
        output.Release();
        next.Release();
    }

    [Fact]
    public void Advancing_past_what_was_reserved_is_refused()
    {
        var buffer = new PooledOutputBuffer();
        var reserved = buffer.GetSpan(10).Length;
        var advance = () => buffer.Advance(reserved + 1);
        advance.Should().Throw<InvalidOperationException>();
        var negative = () => buffer.Advance(-1);
        negative.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Output_the_broker_made_itself_has_nothing_to_release()
    {
        var shown = new SessionEvent.Output(OutputChannel.Terminal, "echo"u8.ToArray());
        shown.Release();
        shown.Data.ToArray().Should().Equal("echo"u8.ToArray());
    }
}
