using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using Recorder.Format;
using Recorder.Integrity;
using Recorder.Writing;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Recorder;

/// <summary>
/// Writes one session's recording. Appends only copy the event into an in-memory batch (under a
/// short lock); a background task hashes, compresses, writes and signs. Appends never wait for I/O;
/// a producer that can wait (the session's output and input) calls <see cref="WaitForCapacityAsync"/>
/// first, which holds it while the background task is more than
/// <see cref="RecordingWriterOptions.MaxPendingBytes"/> behind: a slow destination slows the session
/// instead of ending it. If the destination fails, or makes no progress at all for
/// <see cref="RecordingWriterOptions.StallTimeout"/>, <see cref="Fault"/> is set and the session is
/// expected to end. Thread-safe.
/// </summary>
public sealed class RecordingWriter : IAsyncDisposable
{
    /// <summary>Largest JSON payload of a structured record (command, approval, notice...).</summary>
    public const int MaxStructuredPayloadBytes = 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly Stream _destination;
    private readonly RecordingSigningKey _key;
    private readonly RecordingWriterOptions _options;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly byte[] _headerBody;
    private readonly int _maxChunk;
    private readonly Channel<WriterWork> _queue;
    private readonly WriterBacklog _backlog;
    private readonly TaskCompletionSource<Exception> _faulted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _flushTimer;
    private readonly Task _pump;

    private byte[] _batch;
    private int _batchLength;
    private int _batchRecords;
    private long _batchFirstRecord;
    private long _recordCount;
    private long _lastOffset;
    private long _commandCount;
    private bool _dirty;
    private bool _closed;
    private Exception? _fault;
    private long _bytesWritten;
    private RecordingSeal? _seal;

    private RecordingWriter(Stream destination, RecordingHeader header, RecordingSigningKey key, RecordingWriterOptions options, TimeProvider time)
    {
        _destination = destination;
        _key = key;
        _options = options;
        _time = time;
        _startTimestamp = time.GetTimestamp();
        Header = header with
        {
            StartedAt = header.StartedAt == default ? time.GetUtcNow() : header.StartedAt,
            SigningKeyId = key.KeyIdHex,
        };
        _headerBody = HeaderCodec.Encode(Header);
        _maxChunk = options.SegmentBytes - FileLayout.MaxRecordHeaderLength - 1;
        _batch = ArrayPool<byte>.Shared.Rent(options.SegmentBytes);
        // The queue itself is unbounded: the backlog bounds it in bytes, and appends are never refused
        // for lack of a queue slot (they hold the writer's lock and cannot wait).
        _queue = Channel.CreateUnbounded<WriterWork>(new UnboundedChannelOptions { SingleReader = true });
        _backlog = new WriterBacklog(options.StallClock ?? TimeProvider.System, options.MaxPendingBytes, options.HardPendingBytes, options.StallTimeout);
        _pump = Task.Run(PumpAsync);
        _flushTimer = time.CreateTimer(static state => ((RecordingWriter)state!).OnFlushTimer(), this, options.FlushInterval, options.FlushInterval);
    }

    /// <summary>The header as written (with <see cref="RecordingHeader.StartedAt"/> and the key id filled in).</summary>
    public RecordingHeader Header { get; }

    /// <summary>Set once the recording can no longer be written; appends are then dropped and the session should end.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Completes (with the fault) when the recording can no longer be written; never completes otherwise.</summary>
    public Task<Exception> WhenFaulted => _faulted.Task;

    /// <summary>Records appended so far (a large input or output may be split into several records).</summary>
    public long EventCount => Interlocked.Read(ref _recordCount);

    /// <summary>Bytes written to the destination so far.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Bytes appended and handed to the background task but not yet written.</summary>
    public long PendingBytes => _backlog.PendingBytes;

    /// <summary>Bytes appended and not yet written: <see cref="PendingBytes"/> and the batch still being filled.</summary>
    public long UnwrittenBytes
    {
        get
        {
            lock (_gate)
            {
                return _backlog.PendingBytes + _batchLength;
            }
        }
    }

    /// <summary>What the seal committed to (records, final chain hash, length); null until the seal is written.</summary>
    public RecordingSeal? Seal => Volatile.Read(ref _seal);

    /// <summary>
    /// Completes when the writer can take more without falling further behind: at once while it is
    /// less than <see cref="RecordingWriterOptions.MaxPendingBytes"/> behind, otherwise once it has caught
    /// up to half of that. Also completes when the writer faults or closes (appends are then dropped and
    /// <see cref="WhenFaulted"/> tells the session to end), so a waiter is never stranded.
    /// </summary>
    public ValueTask WaitForCapacityAsync(CancellationToken cancellationToken) => _backlog.WaitAsync(cancellationToken);

    /// <summary>Starts a recording on <paramref name="destination"/>. Does no I/O on the calling thread.</summary>
    /// <param name="destination">A writable stream positioned where the recording starts, normally a new file.</param>
    /// <param name="header">The session's header.</param>
    /// <param name="key">The key that signs checkpoints and the seal; must outlive the writer.</param>
    /// <param name="options">Durability and batching options.</param>
    /// <param name="time">Source of the offsets, the wall-clock start and the flush timer.</param>
    public static RecordingWriter Create(Stream destination, RecordingHeader header, RecordingSigningKey key, RecordingWriterOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        if (!destination.CanWrite)
        {
            throw new ArgumentException("the destination must be writable", nameof(destination));
        }

        return new RecordingWriter(destination, header, key, options, time);
    }

    /// <summary>
    /// Starts a recording in a new file at <paramref name="path"/> (creating its directory). The file is
    /// unbuffered in-process, so every frame reaches the operating system as soon as it is written and
    /// survives the broker being killed; other processes may read it while it is written.
    /// </summary>
    /// <exception cref="IOException">The file already exists or cannot be created.</exception>
    public static RecordingWriter CreateFile(string path, RecordingHeader header, RecordingSigningKey key, RecordingWriterOptions options, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
        });
        return Create(file, header, key, options with { LeaveOpen = false }, time);
    }

    /// <summary>Records bytes the agent sent to the target.</summary>
    public void AppendInput(ReadOnlySpan<byte> data) => AppendBytes(RecordType.Input, [], data);

    /// <summary>Records bytes the target produced, after masking.</summary>
    public void AppendOutput(OutputStream stream, ReadOnlySpan<byte> data) => AppendBytes(RecordType.Output, [(byte)stream], data);

    /// <summary>Records a terminal resize.</summary>
    public void AppendResize(int columns, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)columns);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[4..], (uint)rows);
        lock (_gate)
        {
            AppendRecordLocked(RecordType.Resize, [], payload);
        }
    }

    /// <summary>Whether <paramref name="command"/> fits in one record (its text and facts, as JSON, within <see cref="MaxStructuredPayloadBytes"/>).</summary>
    public static bool CommandFits(CommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RecordCodec.EncodeCommand(command, long.MaxValue).Length <= MaxStructuredPayloadBytes;
    }

    /// <summary>Records a command and its decision; returns the command's number (1-based, in session order).</summary>
    public long AppendCommand(CommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_gate)
        {
            var number = ++_commandCount;
            AppendStructuredLocked(RecordType.Command, RecordCodec.EncodeCommand(command, number));
            return number;
        }
    }

    /// <summary>Records that command <paramref name="commandNumber"/> finished with <paramref name="exitCode"/>.</summary>
    public void AppendCommandExit(long commandNumber, int exitCode) =>
        AppendStructured(RecordType.CommandExit, RecordCodec.EncodeCommandExit(commandNumber, exitCode));

    /// <summary>Records a step of an approval.</summary>
    public void AppendApproval(ApprovalRecord approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        AppendStructured(RecordType.Approval, RecordCodec.EncodeApproval(approval));
    }

    /// <summary>Records masking counts per detector.</summary>
    public void AppendMaskingCounts(IReadOnlyDictionary<string, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        AppendStructured(RecordType.MaskingCounts, RecordCodec.EncodeMaskingCounts(counts));
    }

    /// <summary>Records a notice.</summary>
    public void AppendNotice(string kind, string message)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(message);
        AppendStructured(RecordType.Notice, RecordCodec.EncodeNotice(kind, message));
    }

    /// <summary>Records the target's exit.</summary>
    public void AppendExit(int code, int signal, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        AppendStructured(RecordType.Exit, RecordCodec.EncodeExit(code, signal, reason));
    }

    /// <summary>Records a labelled marker.</summary>
    public void AppendMarker(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        AppendStructured(RecordType.Marker, System.Text.Encoding.UTF8.GetBytes(label));
    }

    /// <summary>
    /// Writes everything appended so far, signs a checkpoint over it and flushes the destination.
    /// Throws the fault if the recording can no longer be written.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            PostBatchLocked();
        }

        EnqueueControl(new WriterWork(WriterWorkKind.Flush, Done: done));
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes everything appended so far and the final signed seal, then stops the writer; later
    /// appends throw. Throws the fault if the recording could not be completed. It returns once
    /// the seal is written (every reader of the file sees a complete recording from then on);
    /// <see cref="DisposeAsync"/> returns once it is also on disk.
    /// </summary>
    public async Task SealAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _closed = true;
            PostBatchLocked();
        }

        EnqueueControl(new WriterWork(WriterWorkKind.Seal, Done: done));
        _queue.Writer.TryComplete();
        _backlog.Release();
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the writer. Without a prior <see cref="SealAsync"/>, pending events are written and
    /// checkpointed but the recording stays unsealed (it verifies as truncated).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _flushTimer.DisposeAsync().ConfigureAwait(false);
        lock (_gate)
        {
            if (!_closed)
            {
                _closed = true;
                PostBatchLocked();
                TryPost(new WriterWork(WriterWorkKind.Flush));
            }

            _queue.Writer.TryComplete();
        }

        await _pump.ConfigureAwait(false);
        _backlog.Release();
        ArrayPool<byte>.Shared.Return(_batch);
        if (!_options.LeaveOpen)
        {
            await _destination.DisposeAsync().ConfigureAwait(false);
        }
    }

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
        if (_batch.Length - _batchLength < needed || (_batchLength > 0 && _batchLength + needed > _options.SegmentBytes))
        {
            PostBatchLocked();
            if (_fault is not null)
            {
                return;
            }

            if (_batch.Length < needed)
            {
                ArrayPool<byte>.Shared.Return(_batch);
                _batch = ArrayPool<byte>.Shared.Rent(needed);
            }
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
        if (_batchRecords == 0 || _fault is not null)
        {
            return;
        }

        var work = new WriterWork(WriterWorkKind.Segment, _batch, _batchLength, _batchRecords, _batchFirstRecord, _lastOffset);
        if (!_backlog.TryAdd(work.Length))
        {
            // Only appends that never wait for capacity can get here: the session's output and input do wait.
            SetFault(new RecordingFaultException($"the recording fell more than {_backlog.HardLimit} bytes behind the session"));
            return;
        }

        if (!_queue.Writer.TryWrite(work))
        {
            _backlog.Completed(work.Length);
            SetFault(new RecordingFaultException("the recording writer has stopped"));
            return;
        }

        _batch = ArrayPool<byte>.Shared.Rent(_options.SegmentBytes);
        _batchLength = 0;
        _batchRecords = 0;
    }

    private void OnFlushTimer()
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

        try
        {
            await foreach (var work in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await ProcessAsync(state, work).ConfigureAwait(false);
            }
        }
        finally
        {
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
                    // The sealer does not wait for the disk: a file sync costs milliseconds and
                    // would hold up the end of every session. DisposeAsync waits for it instead.
                    work.Done?.TrySetResult();
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
                ArrayPool<byte>.Shared.Return(work.Buffer);
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
        var output = state.RentOutput(Head + Compressor.GetCompressBound(work.Length));
        var compressedLength = state.Compressor.Wrap(records.Span, output.AsSpan(Head));
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
        var body = Checkpoint.CreateBody(kind, ordinal, state.RecordsWritten, offset, state.Chain.Current, _key);
        var frame = new byte[FileLayout.FrameHeaderLength + body.Length];
        FileLayout.WriteFrameHeader(frame, kind, body.Length);
        body.CopyTo(frame.AsSpan(FileLayout.FrameHeaderLength));
        await WriteFrameAsync(state, frame).ConfigureAwait(false);
        state.CheckpointOrdinal = ordinal;
        state.CheckpointedRecords = state.RecordsWritten;
        state.LastCheckpointTimestamp = _time.GetTimestamp();
    }

    private async Task WriteFrameAsync(WriterPumpState state, ReadOnlyMemory<byte> frame)
    {
        _backlog.IoStarted();
        await _destination.WriteAsync(frame).ConfigureAwait(false);
        _backlog.IoDone();
        state.CompleteLength += frame.Length;
        Interlocked.Add(ref _bytesWritten, frame.Length);
    }

    private async Task FlushDestinationAsync(bool durable)
    {
        _backlog.IoStarted();
        if (durable && _destination is FileStream file)
        {
            file.Flush(flushToDisk: true);
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
