namespace Recorder.Tests.Support;

/// <summary>
/// A write-only stream that checks each write as it comes and keeps only the start of what was
/// written, so a command can write gigabytes under test without the test holding them. The writers
/// checked here write whole characters per write (lines, drained transcripts, filtered output).
/// </summary>
internal sealed class CheckingStream(Func<byte[], string?> check, int keep = 64 * 1024) : Stream
{
    private readonly MemoryStream _start = new();

    /// <summary>The first problem a check found, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>All bytes written.</summary>
    public long Written { get; private set; }

    /// <summary>The first bytes written (up to the kept amount).</summary>
    public byte[] Start => _start.ToArray();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Written;

    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Failure is null && check(buffer.ToArray()) is { } failure)
        {
            Failure = $"{failure} (in the write at byte {Written})";
        }

        var room = (int)Math.Max(0, Math.Min(buffer.Length, keep - _start.Length));
        _start.Write(buffer[..room]);
        Written += buffer.Length;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _start.Dispose();
        }

        base.Dispose(disposing);
    }
}
