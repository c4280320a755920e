using Recorder;

namespace Broker.Server.Recording;

/// <summary>
/// Where recordings live. The embedded default is a directory under the data directory
/// (<see cref="RecordingStore"/>); another backend implements the same operations.
/// </summary>
internal interface IRecordingStorage
{
    /// <summary>The public half of the signing key, as a PEM, for auditors.</summary>
    string PublicKeyPem { get; }

    /// <summary>Starts the recording of a new session.</summary>
    RecordingWriter Create(RecordingHeader header, TimeProvider time);

    /// <summary>Where the recording of <paramref name="sessionId"/> started at <paramref name="started"/> is kept.</summary>
    string PathFor(string sessionId, DateTimeOffset started);

    /// <summary>Finds a recording by session id; null when there is none.</summary>
    string? Find(string sessionId);

    /// <summary>Every stored recording (for rebuilding the index).</summary>
    IEnumerable<string> EnumerateAll();

    /// <summary>Opens a recording for reading while it may still be written.</summary>
    Stream OpenRead(string location);

    /// <summary>The size in bytes of a stored recording, 0 when it is gone.</summary>
    long SizeOf(string location);

    /// <summary>Deletes a recording; false when it was already gone.</summary>
    bool Delete(string location);
}
