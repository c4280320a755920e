using Broker.Core.Native;
using Microsoft.Win32.SafeHandles;

namespace Broker.Core.Tests.Native;

/// <summary>
/// A program's output pipe read in larger gulps once it streams: every byte still arrives, in order; and a disposed
/// channel's output completes, so no reader waits on it forever.
/// </summary>
public sealed class FdChannelTests
{
    private const int F_GETPIPE_SZ = 1032;

    [Fact]
    public async Task An_output_pipe_is_enlarged_and_a_stream_through_it_arrives_complete_and_in_order()
    {
        var (readEnd, writeEnd) = NewPipe();
        using var channel = FdChannel.ForPipeOutput(new UnixFileDescriptor(readEnd), FdEventLoop.Shared);
        LibC.fcntl(writeEnd, F_GETPIPE_SZ, 0).Should().BeGreaterThanOrEqualTo(256 * 1024, "the kernel lets root enlarge a pipe");

        // Writes of every size, as a program's would come; the bytes number themselves so order is checked too.
        var data = new byte[8 * 1024 * 1024 + 4321];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + (i >> 11));
        }

        var writer = Task.Run(() =>
        {
            using var stream = new FileStream(new SafeFileHandle(writeEnd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
            var sizes = new[] { 1, 100, 4096, 65536, 131072, 300_000 };
            for (int offset = 0, n = 0; offset < data.Length; n++)
            {
                var size = Math.Min(sizes[n % sizes.Length], data.Length - offset);
                stream.Write(data, offset, size);
                offset += size;
            }
        });

        var received = await ReadToEndAsync(channel);
        await writer.WaitAsync(TimeSpan.FromMinutes(1));
        received.Should().Equal(data);
    }

    [Fact]
    public async Task Disposing_a_channel_whose_program_still_holds_the_pipe_completes_its_output()
    {
        var (readEnd, writeEnd) = NewPipe();
        using var program = new SafeFileHandle(writeEnd, ownsHandle: true);
        var channel = FdChannel.ForReading(new UnixFileDescriptor(readEnd), FdEventLoop.Shared);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var read = channel.Output.ReadAsync(timeout.Token).AsTask();

        channel.Dispose();

        var result = await read;
        result.IsCompleted.Should().BeTrue("the channel is gone although the other end of its pipe is still open");
        result.Buffer.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public async Task Disposing_a_channel_paused_by_an_unread_backlog_completes_its_output_after_the_backlog()
    {
        var (readEnd, writeEnd) = NewPipe();
        var channel = FdChannel.ForReading(new UnixFileDescriptor(readEnd), FdEventLoop.Shared);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var written = 0L;
        var writer = Task.Run(() =>
        {
            using var stream = new FileStream(new SafeFileHandle(writeEnd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'x');
            try
            {
                while (!timeout.IsCancellationRequested)
                {
                    stream.Write(chunk);
                    Interlocked.Add(ref written, chunk.Length);
                }
            }
            catch (IOException)
            {
                // The read end was closed: the channel is disposed.
            }
        });

        // Past the pipe's pause threshold (1 MiB unread) the loop's read cycle waits on its flush, holding the writer.
        while (true)
        {
            var backlog = await channel.Output.ReadAsync(timeout.Token);
            if (backlog.Buffer.Length >= 1024 * 1024)
            {
                channel.Output.AdvanceTo(backlog.Buffer.Start);
                break;
            }

            channel.Output.AdvanceTo(backlog.Buffer.Start, backlog.Buffer.End);
        }

        channel.Dispose();

        var received = 0L;
        while (true)
        {
            var result = await channel.Output.ReadAsync(timeout.Token);
            received += result.Buffer.Length;
            channel.Output.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await writer.WaitAsync(timeout.Token);
        received.Should().BeGreaterThanOrEqualTo(1024 * 1024).And.BeLessThanOrEqualTo(Interlocked.Read(ref written));
    }

    private static async Task<byte[]> ReadToEndAsync(FdChannel channel)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var received = new MemoryStream();
        while (true)
        {
            var result = await channel.Output.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            channel.Output.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await channel.Output.CompleteAsync();
                return received.ToArray();
            }
        }
    }

    private static unsafe (int Read, int Write) NewPipe()
    {
        var fds = stackalloc int[2];
        LibC.pipe2(fds, LibC.O_CLOEXEC).Should().Be(0);
        return (fds[0], fds[1]);
    }
}
