using Recorder.Format;
using Recorder.Integrity;
using Recorder.Writing;

namespace Recorder;

/// <summary>The background task: hashes, compresses and writes each batch, signs checkpoints and the seal, flushes the destination.</summary>
public sealed partial class RecordingWriter
{
    // Set by the background task once the header is written; read by a sealer that may write in its place.
    private WriterPumpState? _pumpState;

    private async Task PumpAsync()
    {
        var state = new WriterPumpState(_headerBody, _options.CompressionLevel, _time.GetTimestamp());
        try
        {
            state.StartPosition = _destination.CanSeek ? _destination.Position : 0;
            await WriteHeaderAsync(state).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever stops the header stops the recording; the session learns it through Fault.
            SetFault(new RecordingFaultException($"the recording header could not be written: {e.Message}", e));
        }

        // From here a sealer may write in the background task's place while it is idle (SealAsync).
        Volatile.Write(ref _pumpState, state);
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                // Work is taken from the queue only while holding the turn: a sealer that holds it and finds the
                // queue empty knows nothing appended is still on its way to the file.
                await _pumpTurn.WaitAsync().ConfigureAwait(false);
                try
                {
                    while (_queue.Reader.TryRead(out var work))
                    {
                        await ProcessAsync(state, work).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _pumpTurn.Release();
                }
            }
        }
        finally
        {
            // A sealer writing in this task's place finishes before the state goes.
            await _pumpTurn.WaitAsync().ConfigureAwait(false);
            state.Dispose();
        }
    }

    private async Task ProcessAsync(WriterPumpState state, WriterWork work)
    {
        try
        {
            if (Fault is { } fault)
            {
                work.Done?.TrySetException(new RecordingFaultException("the recording can no longer be written", fault));
                return;
            }

            switch (work.Kind)
            {
                case WriterWorkKind.Segment:
                    await WriteSegmentAsync(state, work).ConfigureAwait(false);
                    if (state.CheckpointDue(_options, _time))
                    {
                        await WriteCheckpointAsync(state, FrameKind.Checkpoint, work.LastOffset).ConfigureAwait(false);
                    }

                    if (_options.Sync)
                    {
                        await FlushDestinationAsync(durable: true).ConfigureAwait(false);
                    }

                    break;
                case WriterWorkKind.Flush:
                    if (state.RecordsWritten > state.CheckpointedRecords)
                    {
                        await WriteCheckpointAsync(state, FrameKind.Checkpoint, OffsetNow(state)).ConfigureAwait(false);
                    }

                    await FlushDestinationAsync(_options.Sync).ConfigureAwait(false);
                    break;
                case WriterWorkKind.Seal:
                    await WriteCheckpointAsync(state, FrameKind.Seal, OffsetNow(state)).ConfigureAwait(false);
                    await FlushDestinationAsync(durable: false).ConfigureAwait(false);
                    Volatile.Write(ref _seal, new RecordingSeal(state.RecordsWritten, state.Chain.Current.ToArray(), state.CompleteLength));
                    break;
                case WriterWorkKind.Sync:
                    await FlushDestinationAsync(durable: true).ConfigureAwait(false);
                    break;
            }

            work.Done?.TrySetResult();
        }
        catch (Exception e)
        {
            // Any failure here (disk full, closed stream, signer error) ends the recording, never the process.
            var fault = new RecordingFaultException($"the recording could not be written: {e.Message}", e);
            SetFault(fault);
            TrimToLastFrame(state);
            work.Done?.TrySetException(fault);
        }
        finally
        {
            if (work.Buffer is not null)
            {
                KeepOrReturnBatch(work.Buffer);
            }

            if (work.Kind == WriterWorkKind.Segment)
            {
                _backlog.Completed(work.Length);
            }
        }
    }

    private long OffsetNow(WriterPumpState state)
    {
        var elapsed = _time.GetTimestamp() - _startTimestamp;
        return Math.Max(state.LastOffset, (long)((Int128)elapsed * 1_000_000_000 / _time.TimestampFrequency));
    }

    private async Task WriteHeaderAsync(WriterPumpState state)
    {
        var frame = new byte[FileLayout.Magic.Length + FileLayout.FrameHeaderLength + _headerBody.Length];
        FileLayout.Magic.CopyTo(frame);
        FileLayout.WriteFrameHeader(frame.AsSpan(FileLayout.Magic.Length), FrameKind.Header, _headerBody.Length);
        _headerBody.CopyTo(frame.AsSpan(FileLayout.Magic.Length + FileLayout.FrameHeaderLength));
        await WriteFrameAsync(state, frame).ConfigureAwait(false);
    }

    private async Task WriteSegmentAsync(WriterPumpState state, WriterWork work)
    {
        var records = work.Buffer.AsMemory(0, work.Length);
        var position = 0;
        while (position < work.Length)
        {
            RecordScanner.TryRead(records.Span, position, out var record, out _);
            state.Chain.Append(records.Span.Slice(record.Start, record.Length));
            position += record.Length;
        }

        const int Head = FileLayout.FrameHeaderLength + FileLayout.SegmentPrefixLength;
        var output = state.RentOutput(Head + state.Compressor.Bound(work.Length));
        var compressedLength = state.Compressor.Compress(records.Span, output.AsSpan(Head));
        var compression = FileLayout.CompressionZstd;
        if (compressedLength >= work.Length)
        {
            records.Span.CopyTo(output.AsSpan(Head));
            compressedLength = work.Length;
            compression = FileLayout.CompressionNone;
        }

        var bodyLength = FileLayout.SegmentPrefixLength + compressedLength;
        FileLayout.WriteFrameHeader(output, FrameKind.Segment, bodyLength);
        SegmentCodec.WritePrefix(output.AsSpan(FileLayout.FrameHeaderLength), new SegmentInfo(work.FirstRecord, work.RecordCount, work.Length, compression));
        await WriteFrameAsync(state, output.AsMemory(0, FileLayout.FrameHeaderLength + bodyLength)).ConfigureAwait(false);
        state.RecordsWritten += work.RecordCount;
        state.LastOffset = Math.Max(state.LastOffset, work.LastOffset);
    }

    private async Task WriteCheckpointAsync(WriterPumpState state, FrameKind kind, long offset)
    {
        var ordinal = state.CheckpointOrdinal + 1;
        // One frame per writer, written in place: a typing session signs a checkpoint every flush interval.
        var frame = state.CheckpointFrame;
        FileLayout.WriteFrameHeader(frame, kind, Checkpoint.BodyLength);
        Checkpoint.WriteBody(frame.AsSpan(FileLayout.FrameHeaderLength), kind, ordinal, state.RecordsWritten, offset, state.Chain.Current, _key);
        await WriteFrameAsync(state, frame).ConfigureAwait(false);
        state.CheckpointOrdinal = ordinal;
        state.CheckpointedRecords = state.RecordsWritten;
        state.LastCheckpointTimestamp = _time.GetTimestamp();
        PublishSigned(state.CompleteLength, kind == FrameKind.Seal);
    }

    private async Task WriteFrameAsync(WriterPumpState state, ReadOnlyMemory<byte> frame)
    {
        _backlog.IoStarted();
        if (_destination is FileStream file)
        {
            // On Unix a file's "asynchronous" write is the same write() run on another thread-pool thread: one more
            // wake-up and hop per frame, twice a second for every typing session. This task already runs on the pool.
            file.Write(frame.Span);
        }
        else
        {
            await _destination.WriteAsync(frame).ConfigureAwait(false);
        }

        _backlog.IoDone();
        state.CompleteLength += frame.Length;
        Interlocked.Add(ref _bytesWritten, frame.Length);
    }

    private async Task FlushDestinationAsync(bool durable)
    {
        _backlog.IoStarted();
        if (_destination is FileStream file)
        {
            file.Flush(flushToDisk: durable);
        }
        else
        {
            await _destination.FlushAsync().ConfigureAwait(false);
        }

        _backlog.IoDone();
    }

    /// <summary>Best effort: cut a half-written frame off so the file ends at the last complete one.</summary>
    private void TrimToLastFrame(WriterPumpState state)
    {
        try
        {
            if (_destination.CanSeek && _destination.Length > state.StartPosition + state.CompleteLength)
            {
                _destination.SetLength(state.StartPosition + state.CompleteLength);
            }
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException)
        {
            // Readers stop at the last complete frame anyway; the trim only tidies the tail.
        }
    }
}
