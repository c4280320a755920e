using AgentClient.Mux;

namespace AgentClient.Tests.Mux;

public sealed class MuxProtocolTests
{
    [Fact]
    public void A_request_reads_back_as_written()
    {
        var request = new MuxRequest("http://127.0.0.1:1\n\n\n", ["exec", "--target", "local", "--", "printf", "a\nb", string.Empty, "ünï"], [new("BROKER_TOKEN", "t0ken"), new("BROKER_URL", "http://x")]);

        var bytes = MuxProtocol.Encode(request);
        var read = MuxProtocol.Decode(bytes.AsSpan(4));

        BitConverter.ToInt32(bytes, 0).Should().Be(bytes.Length - 4);
        read.Should().NotBeNull();
        read!.Key.Should().Be(request.Key);
        read.Argv.Should().Equal(request.Argv);
        read.Environment.Should().Equal(request.Environment);
    }

    [Fact]
    public void Every_truncation_of_a_request_is_refused()
    {
        var body = MuxProtocol.Encode(new MuxRequest("k", ["exec", "--", "true"], [new("BROKER_TOKEN", "t")])).AsSpan(4).ToArray();

        for (var length = 0; length < body.Length; length++)
        {
            MuxProtocol.Decode(body.AsSpan(0, length)).Should().BeNull($"{length} of {body.Length} bytes is not a request");
        }
    }

    [Fact]
    public void Trailing_bytes_and_counts_larger_than_the_body_are_refused()
    {
        var body = MuxProtocol.Encode(new MuxRequest("k", ["exec"], [])).AsSpan(4).ToArray();
        MuxProtocol.Decode([.. body, 0]).Should().BeNull();

        var lying = (byte[])body.Clone();
        BitConverter.GetBytes(int.MaxValue).CopyTo(lying, 5); // argc, after the 1-byte key and its length
        MuxProtocol.Decode(lying).Should().BeNull();
    }

    [Fact]
    public void A_frame_carries_its_kind_and_number()
    {
        var frame = MuxProtocol.Frame(MuxProtocol.Exit, 75);

        frame.Should().HaveCount(5);
        frame[0].Should().Be(MuxProtocol.Exit);
        BitConverter.ToInt32(frame, 1).Should().Be(75);
    }
}
