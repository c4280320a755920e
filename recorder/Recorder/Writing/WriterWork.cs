namespace Recorder.Writing;

internal enum WriterWorkKind
{
    /// <summary>A batch of encoded records to compress into one segment.</summary>
    Segment,

    /// <summary>Write a checkpoint if there are unsigned records, then flush the destination.</summary>
    Flush,

    /// <summary>Write the final seal and flush (to the system, not the disk).</summary>
    Seal,

    /// <summary>
    /// Flush the destination to the disk; queued after the seal, so the sealer does not wait for a file sync that
    /// costs milliseconds (<see cref="RecordingWriter.DisposeAsync"/> waits for it instead).
    /// </summary>
    Sync,
}

/// <summary>One item for the background writer; batches own a pooled buffer until it is written.</summary>
internal readonly record struct WriterWork(
    WriterWorkKind Kind,
    byte[]? Buffer = null,
    int Length = 0,
    int RecordCount = 0,
    long FirstRecord = 0,
    long LastOffset = 0,
    TaskCompletionSource? Done = null);
