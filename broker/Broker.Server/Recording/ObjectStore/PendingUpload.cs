namespace Broker.Server.Recording.ObjectStore;

/// <summary>
/// One recording on its way to the bucket: what is there already, how far the local file is signed, and
/// whether it will grow further. Guarded by its own lock: the writer's background task advances it, the
/// uploader consumes it.
/// </summary>
internal sealed class PendingUpload(string sessionId, string path, long uploaded)
{
    public string SessionId => sessionId;

    /// <summary>The local file.</summary>
    public string Path => path;

    public Lock Gate { get; } = new();

    /// <summary>Bytes from the recording's start that the bucket holds.</summary>
    public long Uploaded { get; set; } = uploaded;

    /// <summary>Bytes from the start up to the last checkpoint or seal written locally.</summary>
    public long Signed { get; set; }

    /// <summary>No more bytes will be signed (sealed, or a recording left by an earlier process).</summary>
    public bool Final { get; set; }

    /// <summary>In the uploader's queue or being uploaded (so it is queued at most once).</summary>
    public bool Queued { get; set; }

    /// <summary>Failed attempts in a row (for the backoff); 0 after a success.</summary>
    public int Failures { get; set; }
}
