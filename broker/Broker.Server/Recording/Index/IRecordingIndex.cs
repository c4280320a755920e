namespace Broker.Server.Recording;

/// <summary>
/// A searchable list of recordings: in the data directory (<see cref="SqliteRecordingIndex"/>, rebuilt from the files
/// when lost) or shared by replicas (<see cref="PostgresRecordingIndex"/>). Reads see every recording the index holds,
/// except those that drive this broker's start-up repair, which see the recordings this broker made.
/// </summary>
internal interface IRecordingIndex
{
    /// <summary>Adds or replaces a row.</summary>
    void Upsert(RecordingIndexEntry entry);

    /// <summary>The row of one session, or null.</summary>
    RecordingIndexEntry? Get(string sessionId);

    /// <summary>Rows matching <paramref name="query"/>, newest first.</summary>
    IReadOnlyList<RecordingIndexEntry> List(RecordingQuery query);

    /// <summary>Rows of ended sessions that started before <paramref name="cutoff"/>.</summary>
    IReadOnlyList<RecordingIndexEntry> EndedBefore(DateTimeOffset cutoff);

    /// <summary>Rows of this broker's recordings without an end (sessions running, or cut by a crash).</summary>
    IReadOnlyList<RecordingIndexEntry> Unended();

    /// <summary>The session ids of this broker's recordings in the index.</summary>
    IReadOnlySet<string> SessionIds();

    /// <summary>Removes a row.</summary>
    void Remove(string sessionId);
}
