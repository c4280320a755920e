using System.Text;
using AgentClient.Terminal;

namespace AgentClient.Tests;

/// <summary>The raw descriptor stream over a real pipe: reads return what is there, a pending read can be cancelled without losing later input, writes go through whole.</summary>
public sealed class DescriptorStreamTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly int _readEnd;
    private int _writeEnd;

    public DescriptorStreamTests()
    {
        LibC.TryCreatePipe(out _readEnd, out _writeEnd).Should().BeTrue();
    }

    public void Dispose()
    {
        _ = LibC.Close(_readEnd);
        CloseWriteEnd();
    }

    [Fact]
    public async Task A_read_returns_the_bytes_as_soon_as_they_are_written()
    {
        using var reader = new DescriptorStream(_readEnd, readable: true);
        using var writer = new DescriptorStream(_writeEnd, readable: false);
        var buffer = new byte[16];

        var pending = reader.ReadAsync(buffer).AsTask();
        writer.Write("x"u8);

        (await pending.WaitAsync(Timeout)).Should().Be(1);
        buffer[0].Should().Be((byte)'x');
    }

    [Fact]
    public async Task A_cancelled_read_takes_no_input_and_the_next_read_gets_it()
    {
        using var reader = new DescriptorStream(_readEnd, readable: true);
        using var writer = new DescriptorStream(_writeEnd, readable: false);
        var buffer = new byte[16];
        using var cancel = new CancellationTokenSource();

        var pending = reader.ReadAsync(buffer, cancel.Token).AsTask();
        await cancel.CancelAsync();
        var cancelled = async () => await pending.WaitAsync(Timeout);
        await cancelled.Should().ThrowAsync<OperationCanceledException>();

        writer.Write("after"u8);
        var n = await reader.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Encoding.ASCII.GetString(buffer, 0, n).Should().Be("after");
    }

    [Fact]
    public async Task The_end_of_the_input_reads_as_zero()
    {
        using var reader = new DescriptorStream(_readEnd, readable: true);
        CloseWriteEnd();

        (await reader.ReadAsync(new byte[4]).AsTask().WaitAsync(Timeout)).Should().Be(0);
    }

    [Fact]
    public async Task A_write_larger_than_the_pipe_holds_goes_through_whole()
    {
        using var reader = new DescriptorStream(_readEnd, readable: true);
        var data = new byte[1024 * 1024];
        Random.Shared.NextBytes(data);
        var writing = Task.Run(() =>
        {
            using var writer = new DescriptorStream(_writeEnd, readable: false);
            writer.Write(data);
            CloseWriteEnd();
        });

        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await reader.ReadAsync(buffer).AsTask().WaitAsync(Timeout)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        await writing.WaitAsync(Timeout);
        received.ToArray().Should().Equal(data);
    }

    private void CloseWriteEnd()
    {
        var fd = Interlocked.Exchange(ref _writeEnd, -1);
        if (fd >= 0)
        {
            _ = LibC.Close(fd);
        }
    }
}
