using Broker.Ssm.DataChannel;

namespace Broker.Ssm.Tests.DataChannel;

public sealed class OutgoingStreamTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Sequence_numbers_start_at_zero_and_count_up()
    {
        var stream = new OutgoingStream(10);

        stream.Reserve().Should().Be(0);
        stream.Reserve().Should().Be(1);
        stream.NextSequenceNumber.Should().Be(2);
    }

    [Fact]
    public void An_acknowledgement_removes_its_frame_from_any_position_and_gives_the_round_trip()
    {
        var stream = new OutgoingStream(10);
        stream.Add(0, [0], T0);
        stream.Add(1, [1], T0.AddMilliseconds(10));
        stream.Add(2, [2], T0.AddMilliseconds(20));

        stream.Acknowledge(1, T0.AddMilliseconds(70)).Should().Be(TimeSpan.FromMilliseconds(60));

        stream.Count.Should().Be(2);
        stream.Acknowledge(1, T0.AddMilliseconds(80)).Should().BeNull("a repeated acknowledgement finds nothing");
    }

    [Fact]
    public void Only_the_oldest_frame_is_resent_and_only_once_its_timeout_has_passed()
    {
        var stream = new OutgoingStream(10);
        stream.Add(0, [0], T0);
        stream.Add(1, [1], T0);

        stream.TakeDueForResend(T0.AddMilliseconds(200), TimeSpan.FromMilliseconds(200)).Should().BeNull();
        stream.TakeDueForResend(T0.AddMilliseconds(201), TimeSpan.FromMilliseconds(200)).Should().Equal(0);
        stream.TakeDueForResend(T0.AddMilliseconds(300), TimeSpan.FromMilliseconds(200)).Should().BeNull("the resend moved its send time");
    }

    [Fact]
    public void After_a_reconnect_every_kept_frame_goes_again_in_order()
    {
        var stream = new OutgoingStream(10);
        stream.Add(3, [3], T0);
        stream.Add(4, [4], T0);
        stream.Add(5, [5], T0);
        stream.Acknowledge(4, T0);

        stream.TakeAllForResend(T0).Select(f => (int)f[0]).Should().Equal(3, 5);
    }

    [Fact]
    public void The_stream_is_full_at_its_capacity()
    {
        var stream = new OutgoingStream(2);
        stream.Add(0, [0], T0);
        stream.IsFull.Should().BeFalse();
        stream.Add(1, [1], T0);
        stream.IsFull.Should().BeTrue();
        stream.Acknowledge(0, T0);
        stream.IsFull.Should().BeFalse();
    }
}
