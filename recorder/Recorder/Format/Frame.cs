namespace Recorder.Format;

/// <summary>How reading the next frame went.</summary>
internal enum FrameReadStatus
{
    /// <summary>A complete frame was read.</summary>
    Frame,

    /// <summary>The stream ended exactly at a frame boundary.</summary>
    End,

    /// <summary>The stream ended inside a frame: a file still being written, or cut by a crash.</summary>
    Incomplete,

    /// <summary>The bytes at this position cannot be a frame.</summary>
    Corrupt,
}

/// <summary>A frame read from a recording; <see cref="Body"/> is only valid until the next read.</summary>
internal readonly record struct Frame(FrameKind Kind, long Position, ReadOnlyMemory<byte> Body);
