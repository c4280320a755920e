using System.Buffers;
using AgentClient.Connection;
using Broker.Protocol.V1;
using Google.Protobuf;

namespace AgentClient.Tests.Connection;

/// <summary>Exec response frames decoded from the pooled buffer they were read into: the same frames the generated parser gives.</summary>
public sealed class ReceivedExecFrameTests
{
    private static ReceivedExecFrame Decode(ExecResponse frame)
    {
        var encoded = frame.ToByteArray();
        var rented = ArrayPool<byte>.Shared.Rent(encoded.Length);
        encoded.CopyTo(rented, 0);
        return ReceivedExecFrame.Decode(rented, encoded.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(64 * 1024)]
    [InlineData(3 * 1024 * 1024)]
    public void Stdout_bytes_arrive_unchanged_whatever_the_length_prefix_takes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);

        using var received = Decode(new ExecResponse { Stdout = ByteString.CopyFrom(bytes) });

        received.Message.FrameCase.Should().Be(ExecResponse.FrameOneofCase.Stdout);
        received.Message.Stdout.Span.SequenceEqual(bytes).Should().BeTrue();
    }

    [Fact]
    public void Stderr_stays_stderr()
    {
        using var received = Decode(new ExecResponse { Stderr = ByteString.CopyFromUtf8("boom\n") });

        received.Message.FrameCase.Should().Be(ExecResponse.FrameOneofCase.Stderr);
        received.Message.Stderr.ToStringUtf8().Should().Be("boom\n");
    }

    [Fact]
    public void Empty_output_is_an_empty_output_frame()
    {
        using var received = Decode(new ExecResponse { Stdout = ByteString.Empty });

        received.Message.FrameCase.Should().Be(ExecResponse.FrameOneofCase.Stdout);
        received.Message.Stdout.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Frames_other_than_output_are_what_the_generated_parser_reads()
    {
        var frames = new[]
        {
            new ExecResponse { Exit = new ExitStatus { Code = 3, SignalNumber = 0 } },
            new ExecResponse { Decision = new CommandDecision { Verdict = Verdict.Deny, Rule = "r", Reason = "why" } },
            new ExecResponse { Notice = new Notice { Kind = NoticeKind.TokenExpiring, Message = "soon" } },
            new ExecResponse { Opened = new SessionOpened { SessionId = "s-1", Target = "local" } },
        };

        foreach (var frame in frames)
        {
            using var received = Decode(frame);
            received.Message.Should().Be(frame);
        }
    }

    [Fact]
    public void Output_followed_by_another_field_is_left_to_the_generated_parser()
    {
        // Valid on the wire (the last field of a oneof wins): the shortcut must not stop at the first field.
        var encoded = new ExecResponse { Stdout = ByteString.CopyFromUtf8("first") }.ToByteArray()
            .Concat(new ExecResponse { Exit = new ExitStatus { Code = 7 } }.ToByteArray()).ToArray();
        var rented = ArrayPool<byte>.Shared.Rent(encoded.Length);
        encoded.CopyTo(rented, 0);

        using var received = ReceivedExecFrame.Decode(rented, encoded.Length);

        received.Message.Should().Be(ExecResponse.Parser.ParseFrom(encoded));
        received.Message.FrameCase.Should().Be(ExecResponse.FrameOneofCase.Exit);
    }

    [Fact]
    public void A_length_prefix_longer_than_the_frame_is_refused_as_the_parser_refuses_it()
    {
        byte[] encoded = [(2 << 3) | 2, 10, (byte)'a', (byte)'b'];
        var rented = ArrayPool<byte>.Shared.Rent(encoded.Length);
        encoded.CopyTo(rented, 0);

        var decode = () => ReceivedExecFrame.Decode(rented, encoded.Length);

        decode.Should().Throw<InvalidProtocolBufferException>();
    }
}
