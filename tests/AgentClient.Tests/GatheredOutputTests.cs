using System.Text;
using System.Threading.Channels;
using AgentClient.Terminal;
using Grpc.Core;

namespace AgentClient.Tests;

/// <summary>
/// Output frames that are already there when the last one is taken are written with one write; nothing waits for a
/// frame that is not there: a lone frame (a key's echo) is in the descriptor before the reader waits for the next.
/// </summary>
public sealed class GatheredOutputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Frames_already_there_go_out_in_one_write_before_the_reader_waits_for_more()
    {
        var frames = new FrameQueue();
        var output = new RecordingStream();
        using var gathered = new GatheredOutput(output);
        frames.Send("one ", "two ", "three");

        for (var i = 0; i < 3; i++)
        {
            (await gathered.MoveNextAsync(frames, CancellationToken.None).WaitAsync(Timeout)).Should().BeTrue();
            gathered.Add(Encoding.ASCII.GetBytes(frames.Current));
        }

        output.Writes.Should().BeEmpty("the frames were there to be read: nothing is written between them");
        var waiting = gathered.MoveNextAsync(frames, CancellationToken.None);

        waiting.IsCompleted.Should().BeFalse();
        output.Writes.Should().Equal("one two three");
        frames.End();
        (await waiting.WaitAsync(Timeout)).Should().BeFalse();
    }

    [Fact]
    public async Task A_lone_frame_is_in_the_descriptor_while_the_reader_waits_for_the_next()
    {
        LibC.TryCreatePipe(out var readEnd, out var writeEnd).Should().BeTrue();
        using var terminal = new DescriptorStream(readEnd, readable: true);
        using var descriptor = new DescriptorStream(writeEnd, readable: false);
        try
        {
            var frames = new FrameQueue();
            using var gathered = new GatheredOutput(descriptor);
            frames.Send("k");
            (await gathered.MoveNextAsync(frames, CancellationToken.None).WaitAsync(Timeout)).Should().BeTrue();
            gathered.Add("k"u8);

            var waiting = gathered.MoveNextAsync(frames, CancellationToken.None);
            var echo = new byte[16];
            var read = await terminal.ReadAsync(echo).AsTask().WaitAsync(Timeout);

            echo.AsSpan(0, read).ToArray().Should().Equal((byte)'k');
            waiting.IsCompleted.Should().BeFalse("the echo was written without waiting for another frame");
            frames.End();
            (await waiting.WaitAsync(Timeout)).Should().BeFalse();
        }
        finally
        {
            _ = LibC.Close(readEnd);
            _ = LibC.Close(writeEnd);
        }
    }

    [Fact]
    public void A_full_buffer_is_written_first_and_a_frame_as_large_as_the_buffer_goes_as_it_is_in_order()
    {
        var output = new RecordingStream();
        using var gathered = new GatheredOutput(output);
        var small = new string('a', GatheredOutput.Capacity - 10);
        var large = new string('b', GatheredOutput.Capacity);

        gathered.Add(Encoding.ASCII.GetBytes(small));
        gathered.Add(Encoding.ASCII.GetBytes("cccccccccccccccccccc"));
        gathered.Add(Encoding.ASCII.GetBytes(large));
        gathered.Add("d"u8);
        gathered.Flush();

        output.Writes.Should().Equal(small, "cccccccccccccccccccc", large, "d");
    }

    [Fact]
    public async Task A_call_that_fails_writes_what_was_gathered_before_the_failure_surfaces()
    {
        var frames = new FrameQueue();
        var output = new RecordingStream();
        using var gathered = new GatheredOutput(output);
        frames.Send("last words");
        (await gathered.MoveNextAsync(frames, CancellationToken.None).WaitAsync(Timeout)).Should().BeTrue();
        gathered.Add(Encoding.ASCII.GetBytes(frames.Current));
        frames.Fail(new RpcException(new Status(StatusCode.Unavailable, "gone")));

        var failing = () => gathered.MoveNextAsync(frames, CancellationToken.None).WaitAsync(Timeout);

        await failing.Should().ThrowAsync<RpcException>();
        output.Writes.Should().Equal("last words");
    }

    /// <summary>Frames as a gRPC response stream hands them out: a frame already received is taken without waiting.</summary>
    private sealed class FrameQueue : IAsyncStreamReader<string>
    {
        private readonly Channel<string> _frames = Channel.CreateUnbounded<string>();

        public string Current { get; private set; } = string.Empty;

        public void Send(params string[] frames)
        {
            foreach (var frame in frames)
            {
                _frames.Writer.TryWrite(frame).Should().BeTrue();
            }
        }

        public void End() => _frames.Writer.Complete();

        public void Fail(Exception failure) => _frames.Writer.Complete(failure);

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_frames.Reader.TryRead(out var frame))
            {
                Current = frame;
                return Task.FromResult(true);
            }

            return WaitAsync(cancellationToken);
        }

        private async Task<bool> WaitAsync(CancellationToken cancellationToken)
        {
            if (!await _frames.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            return await MoveNext(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Each write as the text it carried.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<string> Writes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => Writes.Add(Encoding.ASCII.GetString(buffer));

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
            // Every write is recorded as it is made.
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
