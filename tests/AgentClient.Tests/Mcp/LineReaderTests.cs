using System.Text;
using AgentClient.Mcp;

namespace AgentClient.Tests.Mcp;

public sealed class LineReaderTests
{
    private static async Task<List<string?>> ReadAllAsync(string text, int maxLineBytes, int chunk = 3)
    {
        using var reader = new LineReader(new ChunkedStream(Encoding.UTF8.GetBytes(text), chunk), maxLineBytes);
        var lines = new List<string?>();
        while (await reader.ReadAsync(CancellationToken.None) is { } line)
        {
            lines.Add(ReferenceEquals(line, LineResult.TooLong) ? null : Encoding.UTF8.GetString(line.Bytes));
        }

        return lines;
    }

    [Fact]
    public async Task Lines_arrive_whole_across_reads_without_newlines_or_carriage_returns()
    {
        var lines = await ReadAllAsync("{\"a\":1}\r\n{\"b\":2}\n\nlast", 1024);

        lines.Should().Equal("{\"a\":1}", "{\"b\":2}", string.Empty, "last");
    }

    [Fact]
    public async Task A_line_over_the_bound_is_skipped_whole_and_the_next_line_is_read()
    {
        var lines = await ReadAllAsync(new string('x', 100_000) + "\nafter\n", 1000, chunk: 4096);

        lines.Should().Equal(null, "after");
    }

    [Fact]
    public async Task A_line_longer_than_the_first_buffer_but_within_the_bound_is_read()
    {
        var big = new string('y', 200_000);

        (await ReadAllAsync(big + "\n", 300_000, chunk: 8192)).Should().Equal(big);
    }

    /// <summary>Hands out its bytes a few at a time, as a pipe does.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
