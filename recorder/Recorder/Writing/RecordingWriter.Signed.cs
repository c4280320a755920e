namespace Recorder;

/// <summary>What the writer has signed so far, for whatever copies the recording elsewhere (an object store).</summary>
public sealed partial class RecordingWriter
{
    private long _signedLength;

    /// <summary>
    /// Bytes of the recording, from its magic, up to the end of the last checkpoint or seal written: the part
    /// a verifier accepts even if the process dies now. Grows only.
    /// </summary>
    public long SignedLength => Interlocked.Read(ref _signedLength);

    /// <summary>
    /// Raised each time a checkpoint or the seal has been handed to the destination, on the writer's background task
    /// (or, for the seal, on the sealer's thread when the background task was idle). A handler must return at once
    /// (queue work, never do I/O): the writer waits for it.
    /// </summary>
    public event EventHandler<RecordingSignedEventArgs>? Signed;

    private void PublishSigned(long length, bool isSeal)
    {
        Interlocked.Exchange(ref _signedLength, length);
        Signed?.Invoke(this, new RecordingSignedEventArgs(length, isSeal));
    }
}

/// <summary>A checkpoint or the seal reached the destination.</summary>
/// <param name="length">Bytes of the recording up to the end of that frame.</param>
/// <param name="isSeal">True for the seal: nothing follows it.</param>
public sealed class RecordingSignedEventArgs(long length, bool isSeal) : EventArgs
{
    /// <summary>Bytes of the recording up to the end of the frame just written.</summary>
    public long Length => length;

    /// <summary>True when the frame was the seal: the recording is complete.</summary>
    public bool IsSeal => isSeal;
}
