using System.Buffers;
using System.Text;
using Broker.Core.Sessions;
using Broker.Masking;
using Broker.Server.Interactive;

namespace Broker.Integration.Tests.Policy;

/// <summary>An exec session's secret-output capture, whichever of its channels ends first (no I/O).</summary>
public sealed class SecretOutputCaptureTests
{
    private const string Secret = "s3cr3t-Pa55w0rd-9f8e7d6c";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_replacement_goes_to_standard_output_whichever_channel_ends_first(bool stderrEndsFirst)
    {
        var capture = new SecretOutputCapture(new SecretRegistry());
        var sink = new ChannelRuns();

        capture.Push(OutputChannel.Stdout, Encoding.UTF8.GetBytes($"{{\"SecretString\":\"{Secret}\"}}\n"), sink);
        foreach (var channel in stderrEndsFirst ? new[] { OutputChannel.Stderr, OutputChannel.Stdout } : [OutputChannel.Stdout, OutputChannel.Stderr])
        {
            capture.EndChannel(channel, sink);
        }

        capture.Complete(sink);

        sink.Text(OutputChannel.Stdout).Should().StartWith("[MASKED:secret-output]");
        sink.Text(OutputChannel.Stderr).Should().BeEmpty();
        sink.Everything.Should().NotContain(Secret);
    }

    [Fact]
    public void Standard_error_written_after_standard_output_ended_is_replaced_on_standard_error()
    {
        var capture = new SecretOutputCapture(new SecretRegistry());
        var sink = new ChannelRuns();

        capture.EndChannel(OutputChannel.Stdout, sink);
        capture.Push(OutputChannel.Stderr, Encoding.UTF8.GetBytes($"warning: {Secret}\n"), sink);
        capture.EndChannel(OutputChannel.Stderr, sink);
        capture.Complete(sink);

        sink.Text(OutputChannel.Stderr).Should().StartWith("[MASKED:secret-output]");
        sink.Everything.Should().NotContain(Secret);
    }

    /// <summary>What was written to each channel.</summary>
    private sealed class ChannelRuns : IOutputSink
    {
        private readonly Dictionary<OutputChannel, ArrayBufferWriter<byte>> _channels = [];

        public string Everything => string.Concat(_channels.Values.Select(b => Encoding.UTF8.GetString(b.WrittenSpan)));

        public IBufferWriter<byte> Channel(OutputChannel channel)
        {
            if (!_channels.TryGetValue(channel, out var bytes))
            {
                bytes = new ArrayBufferWriter<byte>();
                _channels[channel] = bytes;
            }

            return bytes;
        }

        public string Text(OutputChannel channel) => _channels.TryGetValue(channel, out var bytes) ? Encoding.UTF8.GetString(bytes.WrittenSpan) : string.Empty;
    }
}
