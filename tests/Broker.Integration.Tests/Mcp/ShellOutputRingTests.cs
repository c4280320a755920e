using Broker.Server.Mcp;

namespace Broker.Integration.Tests.Mcp;

/// <summary>The MCP shell's output ring (no I/O): cursors are absolute, and a reader that fell behind is told what it missed.</summary>
public sealed class ShellOutputRingTests
{
    [Fact]
    public void A_reader_that_keeps_up_gets_everything_in_order_from_its_cursor()
    {
        var ring = new ShellOutputRing(8);
        ring.Append("abc");
        var (first, cursor, missed) = ring.Read(0, 100);
        ring.Append("defg");
        var (second, end, _) = ring.Read(cursor, 100);

        (first, cursor, missed).Should().Be(("abc", 3L, 0L));
        (second, end).Should().Be(("defg", 7L));
    }

    [Fact]
    public void A_reader_that_fell_behind_the_ring_gets_what_is_kept_and_the_count_it_missed()
    {
        var ring = new ShellOutputRing(4);
        ring.Append("0123456789");

        var (text, cursor, missed) = ring.Read(2, 100);

        text.Should().Be("6789");
        cursor.Should().Be(10);
        missed.Should().Be(4, "characters 2 to 5 were overwritten before the read");
    }

    [Fact]
    public void A_read_returns_at_most_the_asked_characters_and_the_cursor_to_go_on_from()
    {
        var ring = new ShellOutputRing(16);
        ring.Append("hello world");

        var (text, cursor, _) = ring.Read(0, 5);

        (text, cursor).Should().Be(("hello", 5L));
        ring.Read(cursor, 100).Text.Should().Be(" world");
    }

    [Fact]
    public async Task Changed_completes_at_the_next_write_and_for_good_once_closed()
    {
        var ring = new ShellOutputRing(16);
        var changed = ring.Changed;
        changed.IsCompleted.Should().BeFalse();

        ring.Append("x");
        await changed.WaitAsync(TimeSpan.FromSeconds(10));
        ring.Close();

        await ring.Changed.WaitAsync(TimeSpan.FromSeconds(10));
        ring.Changed.IsCompleted.Should().BeTrue();
    }
}
