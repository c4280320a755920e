using System.Buffers;

namespace AgentClient.Mcp;

/// <summary>
/// Reads newline-delimited messages from a stream into one pooled buffer, with a bound: a line longer than
/// <c>maxLineBytes</c> is skipped whole (reported, never buffered without limit).
/// </summary>
internal sealed class LineReader(Stream input, int maxLineBytes) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>The next line without its newline (and without a trailing carriage return); null at end of input.</summary>
    /// <returns>The line, or <see cref="LineResult.TooLong"/> for a line over the bound.</returns>
    public async Task<LineResult?> ReadAsync(CancellationToken cancellationToken)
    {
        var skipping = false;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = _buffer.AsMemory(_start, newline - _start);
                _start = newline + 1;
                if (skipping)
                {
                    return LineResult.TooLong;
                }

                return new LineResult(line.Span.EndsWith("\r"u8) ? line[..^1].ToArray() : line.ToArray());
            }

            if (_eof)
            {
                if (skipping)
                {
                    return LineResult.TooLong;
                }

                var rest = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                return rest.Length > 0 ? new LineResult(rest.ToArray()) : null;
            }

            if (_end - _start >= maxLineBytes)
            {
                // Over the bound: drop what is buffered and everything up to the next newline.
                skipping = true;
                _start = _end = 0;
            }

            Compact();
            var read = await input.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            _eof = read == 0;
            _end += read;
        }
    }

    /// <summary>Moves the unread bytes to the front, growing the buffer (up to the line bound) when it is full.</summary>
    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, maxLineBytes + 1));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

/// <summary>One line read, or a line that was over the bound.</summary>
internal sealed record LineResult(byte[] Bytes)
{
    /// <summary>A line over the bound, skipped.</summary>
    public static LineResult TooLong { get; } = new([]);
}
