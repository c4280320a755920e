using Broker.Core.Native;
using Microsoft.Win32.SafeHandles;

namespace Broker.Core.Tests.Native;

/// <summary>A program's output pipe read in larger gulps once it streams: every byte still arrives, in order.</summary>
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
