using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Broker.Ssm.Protocol;

namespace Broker.Ssm.Tests.Protocol;

public sealed class ChannelMessageCodecTests
{
    private static readonly Guid WorkedExampleId = Guid.Parse("c770791e-9fc7-4e19-8167-cceed6c01122");

    private static ChannelMessage Sample(string type = MessageTypes.OutputStreamData, byte[]? payload = null) => new(
        type, 42, MessageFlagBits.Syn, WorkedExampleId, 1_700_000_000_123, PayloadType.Output, payload ?? "hello, world\r\n"u8.ToArray());

    [Fact]
    public void A_message_survives_encoding_and_decoding_unchanged()
    {
        var message = Sample();

        var decoded = ChannelMessageCodec.Decode(ChannelMessageCodec.Encode(message));

        decoded.Rejection.Should().Be(FrameRejection.None);
        decoded.Message!.MessageType.Should().Be(message.MessageType);
        decoded.Message.SequenceNumber.Should().Be(42);
        decoded.Message.Flags.Should().Be(MessageFlagBits.Syn);
        decoded.Message.MessageId.Should().Be(WorkedExampleId);
        decoded.Message.CreatedDate.Should().Be(1_700_000_000_123);
        decoded.Message.PayloadType.Should().Be(PayloadType.Output);
        decoded.Message.SchemaVersion.Should().Be(1u);
        decoded.Message.Payload.ToArray().Should().Equal(message.Payload.ToArray());
    }

    [Fact]
    public void The_header_has_the_reference_layout_with_big_endian_fields()
    {
        var frame = ChannelMessageCodec.Encode(Sample(payload: [1, 2, 3]));

        frame.Should().HaveCount(120 + 3);
        BinaryPrimitives.ReadUInt32BigEndian(frame).Should().Be(116u);
        Encoding.ASCII.GetString(frame, 4, 32).Should().Be("output_stream_data".PadRight(32, ' '));
        BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(36)).Should().Be(1u);
        BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(40)).Should().Be(1_700_000_000_123UL);
        BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(48)).Should().Be(42);
        BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(56)).Should().Be(1UL);
        frame.AsSpan(80, 32).ToArray().Should().Equal(SHA256.HashData(new byte[] { 1, 2, 3 }));
        BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(112)).Should().Be(1u);
        BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(116)).Should().Be(3u);
        frame.AsSpan(120).ToArray().Should().Equal(1, 2, 3);
    }

    [Fact]
    public void The_message_id_goes_on_the_wire_with_its_halves_swapped_as_in_the_worked_example()
    {
        var frame = ChannelMessageCodec.Encode(Sample());

        Convert.ToHexStringLower(frame.AsSpan(64, 16)).Should().Be("8167cceed6c01122" + "c770791e9fc74e19");
    }

    [Fact]
    public void A_message_id_read_from_the_wire_is_the_canonical_uuid()
    {
        var wire = Convert.FromHexString("8167cceed6c01122c770791e9fc74e19");

        ChannelMessageCodec.ReadMessageId(wire).ToString().Should().Be("c770791e-9fc7-4e19-8167-cceed6c01122");
    }

    [Fact]
    public void An_empty_payload_still_carries_the_digest_of_nothing()
    {
        var frame = ChannelMessageCodec.Encode(Sample(MessageTypes.Acknowledge, []));

        frame.AsSpan(80, 32).ToArray().Should().Equal(SHA256.HashData([]));
        ChannelMessageCodec.Decode(frame).Rejection.Should().Be(FrameRejection.None);
    }

    [Fact]
    public void The_payload_runs_to_the_end_of_the_frame_whatever_payload_length_says()
    {
        var frame = ChannelMessageCodec.Encode(Sample(payload: [7, 8, 9]));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(116), 1);

        ChannelMessageCodec.Decode(frame).Message!.Payload.ToArray().Should().Equal(7, 8, 9);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(115u)]
    [InlineData(10_000u)]
    public void A_frame_with_a_bad_header_length_is_dropped(uint headerLength)
    {
        var frame = ChannelMessageCodec.Encode(Sample());
        BinaryPrimitives.WriteUInt32BigEndian(frame, headerLength);

        ChannelMessageCodec.Decode(frame).Should().Be(new DecodedFrame(null, FrameRejection.BadHeaderLength));
    }

    [Fact]
    public void A_frame_with_an_empty_message_type_is_dropped()
    {
        var frame = ChannelMessageCodec.Encode(Sample());
        frame.AsSpan(4, 32).Fill((byte)' ');
        frame[4] = 0;

        ChannelMessageCodec.Decode(frame).Rejection.Should().Be(FrameRejection.BadMessageType);
    }

    [Fact]
    public void A_frame_with_a_zero_created_date_is_dropped()
    {
        var frame = ChannelMessageCodec.Encode(Sample());
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(40), 0);

        ChannelMessageCodec.Decode(frame).Rejection.Should().Be(FrameRejection.ZeroCreatedDate);
    }

    [Fact]
    public void A_frame_whose_payload_does_not_match_its_digest_is_dropped()
    {
        var frame = ChannelMessageCodec.Encode(Sample());
        frame[^1] ^= 0x01;

        ChannelMessageCodec.Decode(frame).Rejection.Should().Be(FrameRejection.DigestMismatch);
    }

    [Fact]
    public void A_payload_that_declares_no_length_is_still_checked_against_its_digest()
    {
        var frame = ChannelMessageCodec.Encode(Sample());
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(116), 0);
        frame[^1] ^= 0x01;

        ChannelMessageCodec.Decode(frame).Rejection.Should().Be(FrameRejection.DigestMismatch);
    }

    [Fact]
    public void A_frame_shorter_than_the_header_is_dropped()
    {
        ChannelMessageCodec.Decode(new byte[119]).Rejection.Should().Be(FrameRejection.TooShort);
    }

    [Theory]
    [InlineData(MessageTypes.PausePublication)]
    [InlineData(MessageTypes.StartPublication)]
    public void Publication_messages_are_taken_without_the_header_checks(string type)
    {
        var frame = ChannelMessageCodec.Encode(Sample(type));
        BinaryPrimitives.WriteUInt32BigEndian(frame, 0);
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(40), 0);
        frame[^1] ^= 0x01;

        ChannelMessageCodec.Decode(frame).Message!.MessageType.Should().Be(type);
    }

    [Fact]
    public void A_message_type_padded_with_nuls_is_read_trimmed()
    {
        var frame = ChannelMessageCodec.Encode(Sample(MessageTypes.Acknowledge, []));
        frame.AsSpan(4 + MessageTypes.Acknowledge.Length, 32 - MessageTypes.Acknowledge.Length).Clear();

        ChannelMessageCodec.Decode(frame).Message!.MessageType.Should().Be(MessageTypes.Acknowledge);
    }

    [Fact]
    public void A_digest_mismatch_is_tolerated_when_the_reader_does_not_check_digests()
    {
        var frame = ChannelMessageCodec.Encode(Sample());
        frame[^1] ^= 0x01;

        ChannelMessageCodec.Decode(frame, verifyDigest: false).Rejection.Should().Be(FrameRejection.None);
    }
}
