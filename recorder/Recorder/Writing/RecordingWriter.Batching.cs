using System.Buffers;
using System.Numerics;
using Recorder.Format;
using Recorder.Writing;

namespace Recorder;

/// <summary>Appending: records are copied into the batch under the writer's lock, and full batches are handed to the background task.</summary>
public sealed partial class RecordingWriter
{
    private void EnqueueControl(WriterWork work)
    {
        if (Fault is { } fault)
        {
            throw new RecordingFaultException("the recording can no longer be written", fault);
        }

        if (!TryPost(work))
        {
            throw new RecordingFaultException("the recording writer has stopped", Fault ?? new ObjectDisposedException(nameof(RecordingWriter)));
        }
    }

    private void AppendBytes(RecordType type, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            // Large writes become several records with the same offset so a segment stays bounded.
            do
            {
                var chunk = data[..Math.Min(data.Length, _maxChunk)];
                AppendRecordLocked(type, prefix, chunk);
                data = data[chunk.Length..];
            }
            while (!data.IsEmpty);
        }
    }

    private void AppendStructured(RecordType type, byte[] payload)
    {
        lock (_gate)
        {
            AppendStructuredLocked(type, payload);
        }
    }

    private void AppendStructuredLocked(RecordType type, byte[] payload)
    {
        if (payload.Length > MaxStructuredPayloadBytes)
        {
            throw new ArgumentException($"a {type} record may not exceed {MaxStructuredPayloadBytes} bytes", nameof(payload));
        }

        AppendRecordLocked(type, [], payload);
    }

    private void AppendRecordLocked(RecordType type, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> payload)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_fault is not null)
        {
            return;
        }

        var length = prefix.Length + payload.Length;
        var needed = FileLayout.MaxRecordHeaderLength + length;
        if (_batchLength > 0 && _batchLength + needed > _options.SegmentBytes)
        {
            PostBatchLocked();
            if (_fault is not null)
            {
                return;
            }
        }

        if (_batch.Length - _batchLength < needed)
        {
            GrowBatchLocked(_batchLength + needed);
        }

        var offset = NowOffset();
        var span = _batch.AsSpan(_batchLength);
        span[0] = (byte)type;
        var written = 1;
        written += Varint.Write(span[written..], (ulong)offset);
        written += Varint.Write(span[written..], (ulong)length);
        prefix.CopyTo(span[written..]);
        written += prefix.Length;
        payload.CopyTo(span[written..]);
        written += payload.Length;
        if (_batchRecords == 0)
        {
            _batchFirstRecord = _recordCount;
        }

        _batchLength += written;
        _batchRecords++;
        Interlocked.Increment(ref _recordCount);
        _dirty = true;
    }

    private long NowOffset()
    {
        var elapsed = _time.GetTimestamp() - _startTimestamp;
        var nanoseconds = (long)((Int128)elapsed * 1_000_000_000 / _time.TimestampFrequency);
        _lastOffset = Math.Max(_lastOffset, nanoseconds);
        return _lastOffset;
    }

    private void PostBatchLocked()
    {
        if (TakeSegmentLocked() is not { } work)
        {
            return;
        }

        if (!_queue.Writer.TryWrite(work))
        {
            _backlog.Completed(work.Length);
            KeepOrReturnBatch(work.Buffer!);
            SetFault(new RecordingFaultException("the recording writer has stopped"));
        }
    }

    /// <summary>
    /// The batch as a segment for whoever writes it next (accounted in the backlog until written), a fresh batch in its
    /// place; null when there is nothing to write or the recording can no longer be written.
    /// </summary>
    private WriterWork? TakeSegmentLocked()
    {
        if (_batchRecords == 0 || _fault is not null)
        {
            return null;
        }

        var work = new WriterWork(WriterWorkKind.Segment, _batch, _batchLength, _batchRecords, _batchFirstRecord, _lastOffset);
        if (!_backlog.TryAdd(work.Length))
        {
            // Only appends that never wait for capacity can get here: the session's output and input do wait.
            SetFault(new RecordingFaultException($"the recording fell more than {_backlog.HardLimit} bytes behind the session"));
            return null;
        }

        _batch = TakeBatch(NextBatchBytes(_batchLength, _options.SegmentBytes));
        _batchLength = 0;
        _batchRecords = 0;
        return work;
    }

    /// <summary>
    /// The size of the batch after one of <paramref name="postedLength"/> bytes was handed off: as large as that one
    /// (a stream keeps filling whole segments without regrowing), at least <see cref="InitialBatchBytes"/>, at most a
    /// segment. A typing session posts a few hundred bytes a flush interval; renting a whole segment for it each time
    /// was a fresh 1 MiB array per session per second that the shared pool could not cover (it keeps a few dozen per
    /// size), on the large object heap: at 1,000 sessions about half a gigabyte a second, a large object heap of 6-8 GB
    /// and a gen2 collection every few seconds (docs/BENCHMARKS.md, 2026-12-06 14:26).
    /// </summary>
    internal static int NextBatchBytes(int postedLength, int segmentBytes) =>
        Math.Min(segmentBytes, (int)Math.Max(InitialBatchBytes, BitOperations.RoundUpToPowerOf2((uint)postedLength)));

    /// <summary>
    /// The next batch: the writer's spare (the last small batch the background task wrote) when it is large enough,
    /// else one from the shared pool. Every writer hands off on the same flush tick, more batches at once than the pool
    /// keeps, so without the spare a typing session's batch was a fresh array every second (about 1 KB per session per
    /// second at 1,000 sessions, the largest part of what a keystroke allocated).
    /// </summary>
    private byte[] TakeBatch(int length)
    {
        if (Interlocked.Exchange(ref _spareBatch, null) is { } spare)
        {
            if (spare.Length >= length)
            {
                return spare;
            }

            ArrayPool<byte>.Shared.Return(spare);
        }

        return ArrayPool<byte>.Shared.Rent(length);
    }

    /// <summary>
    /// A written batch becomes the spare if it is small and there is none; the rest go back to the pool. Only small
    /// ones are kept: a quiet session must not hold on to the megabyte a burst of output grew its batch to.
    /// </summary>
    private void KeepOrReturnBatch(byte[] written)
    {
        if (written.Length > MaxSpareBatchBytes || Interlocked.CompareExchange(ref _spareBatch, written, null) is not null)
        {
            ArrayPool<byte>.Shared.Return(written);
        }
    }

    /// <summary>Moves the batch to an array of at least <paramref name="required"/> bytes, doubling up to a segment.</summary>
    private void GrowBatchLocked(int required)
    {
        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(required, Math.Min(_options.SegmentBytes, _batch.Length * 2)));
        _batch.AsSpan(0, _batchLength).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_batch);
        _batch = grown;
    }

    /// <summary>Called by the <see cref="FlushClock"/> every flush interval: hands the batch to the background task and asks for a checkpoint.</summary>
    internal void OnFlushTimer()
    {
        if (_fault is null && _backlog.IsStalled(out var quiet))
        {
            // A destination that takes no bytes at all (a hung mount) would hold the session's output forever.
            SetFault(new RecordingFaultException($"the recording made no progress for {quiet.TotalSeconds:0} s (its storage stopped taking writes)"));
            return;
        }

        lock (_gate)
        {
            if (_closed || _fault is not null || !_dirty)
            {
                return;
            }

            PostBatchLocked();
            _dirty = !TryPost(new WriterWork(WriterWorkKind.Flush));
        }
    }

    /// <summary>Queues a control item for the background task; false once it has stopped.</summary>
    private bool TryPost(WriterWork work) => _queue.Writer.TryWrite(work);

    private void SetFault(Exception fault)
    {
        if (Interlocked.CompareExchange(ref _fault, fault, null) is null)
        {
            _backlog.Release();
            _faulted.TrySetResult(fault);
        }
    }
}
