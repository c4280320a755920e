using Recorder.Format;

namespace Recorder;

/// <summary>
/// Reads a recording's events in order. Works on a file that is still being written or was cut
/// by a crash: it stops at the last complete frame. Reading does not verify signatures; use
/// <see cref="RecordingVerifier"/> for that.
/// </summary>
public sealed class RecordingReader : IDisposable
{
    private readonly FrameReader _frames;
    private readonly SegmentCodec _segments = new();
    private bool _read;

    private RecordingReader(FrameReader frames, RecordingHeader header)
    {
        _frames = frames;
        Header = header;
    }

    /// <summary>The recording's header.</summary>
    public RecordingHeader Header { get; }

    /// <summary>True once <see cref="ReadEventsAsync(long, CancellationToken)"/> has finished and found a seal (the recording is complete).</summary>
    public bool Sealed { get; private set; }

    /// <summary>The duration from the seal, or from the last record read when there is no seal.</summary>
    public TimeSpan Duration { get; private set; }

    /// <summary>Opens a recording and reads its header. The reader does not own the stream.</summary>
    /// <exception cref="RecordingFormatException">The stream is not a recording, or its header is missing or unreadable.</exception>
    public static RecordingReader Open(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
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
        return new RecordingReader(frames, header);
    }

    /// <summary>Reads the events in record order; can be enumerated once.</summary>
    /// <exception cref="RecordingFormatException">A segment is corrupt (the verifier tells where and why).</exception>
    public IAsyncEnumerable<RecordedEvent> ReadEventsAsync(CancellationToken cancellationToken = default) =>
        ReadEventsAsync(0, cancellationToken);

    /// <summary>
    /// Reads the events whose index is at least <paramref name="firstIndex"/>, in record order; can be
    /// enumerated once. Segments that hold only earlier records are stepped over without being
    /// decompressed, so resuming late in a long recording costs little more than reading the file.
    /// A segment is stepped over only when its prefix starts where the records before it end; its
    /// record count is then taken on its word, as reading never verifies (<see cref="RecordingVerifier"/> does).
    /// </summary>
    /// <exception cref="RecordingFormatException">A segment that is read is corrupt (the verifier tells where and why).</exception>
    public async IAsyncEnumerable<RecordedEvent> ReadEventsAsync(long firstIndex, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        if (_read)
        {
            throw new InvalidOperationException("the events of a recording reader can be read once");
        }

        _read = true;
        long next = 0;
        long lastOffset = 0;
        while (true)
        {
            var (status, frame) = await _frames.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (status is FrameReadStatus.End or FrameReadStatus.Incomplete)
            {
                Duration = TimeSpan.FromTicks(Math.Max(Duration.Ticks, lastOffset / 100));
                yield break;
            }

            if (status == FrameReadStatus.Corrupt)
            {
                throw new RecordingFormatException(_frames.Error ?? "corrupt frame");
            }

            if (frame.Kind == FrameKind.Seal)
            {
                Sealed = true;
                if (Integrity.Checkpoint.TryParse(frame.Body.Span, out var seal))
                {
                    Duration = TimeSpan.FromTicks(seal.OffsetNanoseconds / 100);
                }

                continue;
            }

            if (frame.Kind != FrameKind.Segment)
            {
                continue;
            }

            // Only a segment whose prefix agrees with the count so far is skipped on its word; any other is decoded.
            if (SegmentCodec.TryReadPrefix(frame.Body.Span, out var prefix)
                && prefix.FirstRecord == next
                && prefix.RecordCount > 0
                && next + prefix.RecordCount <= firstIndex)
            {
                next += prefix.RecordCount;
                continue;
            }

            if (!_segments.TryDecode(frame.Body.Span, out var info, out var records, out var error))
            {
                throw new RecordingFormatException($"byte {frame.Position}: {error}");
            }

            var events = DecodeSegment(records, info, ref next);
            foreach (var recorded in events)
            {
                lastOffset = recorded.OffsetNanoseconds;
                if (recorded.Index >= firstIndex)
                {
                    yield return recorded;
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _segments.Dispose();

    private static List<RecordedEvent> DecodeSegment(ReadOnlyMemory<byte> records, SegmentInfo info, ref long next)
    {
        var events = new List<RecordedEvent>(info.RecordCount);
        var position = 0;
        var span = records.Span;
        while (position < span.Length)
        {
            if (!RecordScanner.TryRead(span, position, out var record, out var error))
            {
                throw new RecordingFormatException($"record {next}: {error}");
            }

            var decoded = RecordCodec.TryDecode(next, record.Type, record.OffsetNanoseconds, span.Slice(record.PayloadStart, record.PayloadLength), out error)
                ?? throw new RecordingFormatException($"record {next}: {error}");
            events.Add(decoded);
            next++;
            position += record.Length;
        }

        return events;
    }
}
