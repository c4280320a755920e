using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using Recorder.Format;
using Recorder.Integrity;
using Recorder.Writing;

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
public sealed partial class RecordingWriter : IAsyncDisposable
{
    /// <summary>Largest JSON payload of a structured record (command, approval, notice...).</summary>
    public const int MaxStructuredPayloadBytes = 1024 * 1024;

    /// <summary>
    /// The first batch's size; a batch grows by doubling up to <see cref="RecordingWriterOptions.SegmentBytes"/>. Every
    /// writer hands its batch off on the same flush tick, more at once than the shared pool keeps, so a quiet session's
    /// batch is a fresh array each second: a typing second is a few hundred bytes, and a kilobyte keeps that allocation
    /// (about 16 KB per session per second at 16 KiB) from driving collections at 1,000 sessions. A stream regrows in
    /// ten doublings, once per burst.
    /// </summary>
    internal const int InitialBatchBytes = 1024;

    /// <summary>The largest written batch a writer keeps as its next one (<c>TakeBatch</c>): a typing session's size, with room.</summary>
    internal const int MaxSpareBatchBytes = 4 * InitialBatchBytes;

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
    private readonly FlushClock _flushClock;
    private readonly Task _pump;
    // Whoever writes frames holds this: the background task for each run of queued work, or a sealer that found it idle.
    private readonly SemaphoreSlim _pumpTurn = new(1, 1);

    private byte[] _batch;
    // The last small batch the background task wrote, taken back as the next batch instead of renting one.
    private byte[]? _spareBatch;
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
        _batch = ArrayPool<byte>.Shared.Rent(Math.Min(options.SegmentBytes, InitialBatchBytes));
        // The queue itself is unbounded: the backlog bounds it in bytes, and appends are never refused
        // for lack of a queue slot (they hold the writer's lock and cannot wait).
        _queue = Channel.CreateUnbounded<WriterWork>(new UnboundedChannelOptions { SingleReader = true });
        _backlog = new WriterBacklog(options.StallClock ?? TimeProvider.System, options.MaxPendingBytes, options.HardPendingBytes, options.StallTimeout);
        _pump = Task.Run(PumpAsync);
        _flushClock = FlushClock.Join(this, time, options.FlushInterval);
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
            // Written synchronously by the writer's background task (see WriteFrameAsync): no asynchronous handle.
            BufferSize = 0,
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
    /// Stops the writer. Without a prior <see cref="SealAsync"/>, pending events are written and
    /// checkpointed but the recording stays unsealed (it verifies as truncated).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _flushClock.Leave(this);
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
        if (Interlocked.Exchange(ref _spareBatch, null) is { } spare)
        {
            ArrayPool<byte>.Shared.Return(spare);
        }

        if (!_options.LeaveOpen)
        {
            await _destination.DisposeAsync().ConfigureAwait(false);
        }

        _pumpTurn.Dispose();
    }
}
