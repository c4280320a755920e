using Recorder.Format;

namespace Recorder;

/// <summary>
/// Reads a recording's events in order, streaming: one frame and one segment's records are held at
/// a time, however large or crafted the file. Works on a file that is still being written or was cut
/// by a crash: it stops at the last complete frame. Damage does not throw: reading stops at the first
/// record that cannot be read, every record before it is delivered, and <see cref="Damage"/> says
/// where and why. Reading does not verify signatures; use <see cref="RecordingVerifier"/> for that.
/// </summary>
public sealed class RecordingReader : IDisposable
{
    private readonly FrameReader _frames;
    private readonly SegmentCodec _segments = new();
    private readonly RecordingReaderOptions _options;
    private bool _read;

    private RecordingReader(FrameReader frames, RecordingHeader header, RecordingReaderOptions options)
    {
        _frames = frames;
        Header = header;
        _options = options;
    }

    /// <summary>The recording's header.</summary>
    public RecordingHeader Header { get; }

    /// <summary>True once reading has passed a seal (the recording is complete).</summary>
    public bool Sealed { get; private set; }

    /// <summary>The duration from the seal, or from the last record read when there is no seal; never negative.</summary>
    public TimeSpan Duration { get; private set; }

    /// <summary>Why reading stopped before the end of the file, or null when it did not (yet).</summary>
    public RecordingDamage? Damage { get; private set; }

    /// <summary>Records decompressed so far, in bytes.</summary>
    public long DecompressedBytes { get; private set; }

    /// <summary>Opens a recording and reads its header. The reader does not own the stream.</summary>
    /// <exception cref="RecordingFormatException">The stream is not a recording, or its header is missing or unreadable.</exception>
    public static RecordingReader Open(Stream stream) => Open(stream, RecordingReaderOptions.Default);

    /// <summary>Opens a recording with budgets and reads its header. The reader does not own the stream.</summary>
    /// <exception cref="RecordingFormatException">The stream is not a recording, or its header is missing or unreadable.</exception>
    public static RecordingReader Open(Stream stream, RecordingReaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        var frames = new FrameReader(stream);
        if (frames.ReadMagic() != FrameReadStatus.Frame)
        {
            throw new RecordingFormatException(frames.Error ?? "not a broker recording");
        }

        var status = frames.Read(out var frame);
        if (status != FrameReadStatus.Frame || frame.Kind != FrameKind.Header)
        {
            throw new RecordingFormatException(status == FrameReadStatus.Frame ? "the first frame is not a header" : "the recording has no complete header");
        }

        var header = HeaderCodec.TryDecode(frame.Body.Span, out var error)
            ?? throw new RecordingFormatException(error ?? "the header is not valid");
        return new RecordingReader(frames, header, options);
    }

    /// <summary>Reads the events in record order, up to the end or the first damage; can be enumerated once.</summary>
    public IAsyncEnumerable<RecordedEvent> ReadEventsAsync(CancellationToken cancellationToken = default) =>
        ReadEventsAsync(0, cancellationToken);

    /// <summary>
    /// Reads the events whose index is at least <paramref name="firstIndex"/>, in record order, up to
    /// the end or the first damage; can be enumerated once. Segments that hold only earlier records
    /// are stepped over without being decompressed, so resuming late in a long recording costs little
    /// more than reading the file. A segment is stepped over only when its prefix starts where the
    /// records before it end; its record count is then taken on its word, as reading never verifies
    /// (<see cref="RecordingVerifier"/> does).
    /// </summary>
    public async IAsyncEnumerable<RecordedEvent> ReadEventsAsync(long firstIndex, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        if (_read)
        {
            throw new InvalidOperationException("the events of a recording reader can be read once");
        }

        _read = true;
        var cursor = new SegmentCursor { ShareData = _options.ShareDataBuffers };
        while (true)
        {
            var (status, frame) = await _frames.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (status is FrameReadStatus.End or FrameReadStatus.Incomplete)
            {
                break;
            }

            if (status == FrameReadStatus.Corrupt)
            {
                Damage = new RecordingDamage(cursor.Next, _frames.Position, _frames.Error ?? "corrupt frame");
                break;
            }

            if (frame.Kind == FrameKind.Seal)
            {
                Sealed = true;
                if (Integrity.Checkpoint.TryParse(frame.Body.Span, out var seal))
                {
                    Duration = TimeSpan.FromTicks(Math.Max(0, seal.OffsetNanoseconds) / 100);
                }

                continue;
            }

            if (frame.Kind != FrameKind.Segment)
            {
                continue;
            }

            // Only a segment whose prefix agrees with the count so far is skipped on its word; any other is decoded.
            if (SegmentCodec.TryReadPrefix(frame.Body.Span, out var prefix)
                && prefix.FirstRecord == cursor.Next
                && prefix.RecordCount > 0
                && cursor.Next + prefix.RecordCount <= firstIndex)
            {
                cursor.Next += prefix.RecordCount;
                continue;
            }

            if (!StartSegment(frame, cursor))
            {
                break;
            }

            while (cursor.TryRead(out var recorded))
            {
                if (recorded.Index >= firstIndex)
                {
                    yield return recorded;
                }
            }

            if (cursor.Error is { } damage)
            {
                Damage = new RecordingDamage(cursor.Next, frame.Position, damage);
                break;
            }
        }

        if (!Sealed)
        {
            Duration = TimeSpan.FromTicks(cursor.LastOffset / 100);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _segments.Dispose();

    /// <summary>
    /// Checks a segment's prefix and budget and decompresses it; false (with <see cref="Damage"/> set)
    /// when nothing of it can be read. Records are numbered by their position in the file, not by the
    /// prefix's word: a prefix that disagrees is for the verifier to report, and its records stay readable.
    /// </summary>
    private bool StartSegment(Frame frame, SegmentCursor cursor)
    {
        if (!SegmentCodec.TryReadPrefix(frame.Body.Span, out var prefix))
        {
            Damage = new RecordingDamage(cursor.Next, frame.Position, frame.Body.Length < FileLayout.SegmentPrefixLength ? "segment is shorter than its prefix" : "segment prefix is not valid");
            return false;
        }

        if (prefix.UncompressedLength > _options.MaxDecompressedBytes - DecompressedBytes)
        {
            Damage = new RecordingDamage(cursor.Next, frame.Position, $"reading on would decompress more than the budget of {_options.MaxDecompressedBytes} bytes", BudgetExceeded: true);
            return false;
        }

        _segments.TryDecode(frame.Body.Span, out _, out var records, out var error);
        DecompressedBytes += records.Length;
        cursor.Start(records, prefix.RecordCount, error);
        return true;
    }

    /// <summary>Walks the records of one decompressed segment, checking each as it goes.</summary>
    private sealed class SegmentCursor
    {
        private ReadOnlyMemory<byte> _records;
        private int _position;
        private int _declared;
        private int _count;
        private string? _decodeError;

        public long Next { get; set; }

        public bool ShareData { get; init; }

        public long LastOffset { get; private set; }

        /// <summary>Why the segment could not be read to its end, once <see cref="TryRead"/> returned false.</summary>
        public string? Error { get; private set; }

        public void Start(ReadOnlyMemory<byte> records, int declared, string? decodeError)
        {
            _records = records;
            _position = 0;
            _declared = declared;
            _count = 0;
            _decodeError = decodeError;
            Error = null;
        }

        public bool TryRead([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RecordedEvent? recorded)
        {
            recorded = null;
            var span = _records.Span;
            if (_position >= span.Length)
            {
                // What decompressed is all read: damage in the compressed data, or a count that does not match.
                Error = _decodeError ?? (_count == _declared ? null : $"segment declares {_declared} records but holds {_count}");
                return false;
            }

            if (_count == _declared)
            {
                Error = $"segment declares {_declared} records but holds more";
                return false;
            }

            if (!RecordScanner.TryRead(span, _position, out var record, out var error))
            {
                Error = _decodeError ?? error;
                return false;
            }

            // In a segment that did not decompress whole, what follows the damage is garbled: its
            // first bad record is blamed on the compressed data, the cause.
            if (record.OffsetNanoseconds < LastOffset)
            {
                Error = _decodeError ?? "its time offset goes backwards";
                return false;
            }

            var decoded = RecordCodec.TryDecode(Next, record.Type, record.OffsetNanoseconds, _records.Slice(record.PayloadStart, record.PayloadLength), copyData: !ShareData, out error);
            if (decoded is null)
            {
                Error = _decodeError ?? error;
                return false;
            }

            recorded = decoded;
            LastOffset = record.OffsetNanoseconds;
            _position += record.Length;
            _count++;
            Next++;
            return true;
        }
    }
}
