using Broker.Ssm.DataChannel;
using Broker.Ssm.Protocol;

namespace Broker.Ssm.Tests.DataChannel;

public sealed class IncomingStreamTests
{
    private static ChannelMessage Data(long sequence) =>
        new(MessageTypes.OutputStreamData, sequence, MessageFlagBits.None, Guid.NewGuid(), 1, PayloadType.Output, new[] { (byte)sequence });

    [Fact]
    public void The_expected_message_is_delivered_at_once()
    {
        var stream = new IncomingStream(10);
        var ready = new List<ChannelMessage>();

        stream.Receive(Data(0), ready).Should().Be(IncomingDisposition.Deliver);

        ready.Select(m => m.SequenceNumber).Should().Equal(0);
        stream.Expected.Should().Be(1);
    }

    [Fact]
    public void Messages_that_arrive_early_wait_and_are_delivered_in_order_once_the_gap_is_filled()
    {
        var stream = new IncomingStream(10);
        var ready = new List<ChannelMessage>();

        stream.Receive(Data(2), ready).Should().Be(IncomingDisposition.Buffered);
        stream.Receive(Data(1), ready).Should().Be(IncomingDisposition.Buffered);
        ready.Should().BeEmpty();
        stream.Receive(Data(0), ready).Should().Be(IncomingDisposition.Deliver);

        ready.Select(m => m.SequenceNumber).Should().Equal(0, 1, 2);
        ready.Select(m => m.Payload.Span[0]).Should().Equal(0, 1, 2);
        stream.BufferedCount.Should().Be(0);
    }

    [Fact]
    public void A_message_already_delivered_is_a_duplicate()
    {
        var stream = new IncomingStream(10);
        var ready = new List<ChannelMessage>();
        stream.Receive(Data(0), ready);
        ready.Clear();

        stream.Receive(Data(0), ready).Should().Be(IncomingDisposition.Duplicate);

        ready.Should().BeEmpty();
    }

    [Fact]
    public void An_early_message_beyond_the_buffer_is_dropped_so_that_the_sender_resends_it()
    {
        var stream = new IncomingStream(1);
        var ready = new List<ChannelMessage>();

        stream.Receive(Data(1), ready).Should().Be(IncomingDisposition.Buffered);
        stream.Receive(Data(2), ready).Should().Be(IncomingDisposition.Dropped);
        stream.Receive(Data(1), ready).Should().Be(IncomingDisposition.Buffered, "a copy of one already kept is acknowledged again");
    }

    [Fact]
    public void A_buffered_message_keeps_its_own_copy_of_the_payload()
    {
        var stream = new IncomingStream(10);
        var ready = new List<ChannelMessage>();
        var shared = new byte[] { 9 };
        stream.Receive(Data(1) with { Payload = shared }, ready);
        shared[0] = 0;

        stream.Receive(Data(0), ready);

        ready[1].Payload.Span[0].Should().Be(9);
    }
}
