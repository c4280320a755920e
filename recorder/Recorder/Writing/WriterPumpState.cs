using System.Buffers;
using Recorder.Compression;
using Recorder.Format;
using Recorder.Integrity;

namespace Recorder.Writing;

/// <summary>What the background task of a <see cref="RecordingWriter"/> carries from one frame to the next.</summary>
internal sealed class WriterPumpState(byte[] headerBody, int compressionLevel, long startTimestamp) : IDisposable
{
    private byte[] _output = [];

    public HashChain Chain { get; } = new(headerBody);

    /// <summary>The frame every checkpoint and the seal is signed into, in turn (written before the next is made).</summary>
    public byte[] CheckpointFrame { get; } = new byte[FileLayout.FrameHeaderLength + Checkpoint.BodyLength];

    public SegmentCompressor Compressor { get; } = SegmentCompressor.Create(compressionLevel);

    public long StartPosition { get; set; }

    public long CompleteLength { get; set; }

    public long RecordsWritten { get; set; }

    public long CheckpointedRecords { get; set; }

    public long CheckpointOrdinal { get; set; }

    public long LastCheckpointTimestamp { get; set; } = startTimestamp;

    public long LastOffset { get; set; }

    public bool CheckpointDue(RecordingWriterOptions options, TimeProvider time) =>
        (options.CheckpointEveryRecords > 0 && RecordsWritten - CheckpointedRecords >= options.CheckpointEveryRecords)
        || time.GetElapsedTime(LastCheckpointTimestamp) >= options.CheckpointInterval;

    public byte[] RentOutput(int length)
    {
        if (_output.Length < length)
        {
            if (_output.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_output);
            }

            _output = ArrayPool<byte>.Shared.Rent(length);
        }

        return _output;
    }

    public void Dispose()
    {
        Chain.Dispose();
        Compressor.Dispose();
        if (_output.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_output);
        }
    }
}
