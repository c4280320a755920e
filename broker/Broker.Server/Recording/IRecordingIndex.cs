namespace Broker.Server.Recording;

/// <summary>A searchable list of recordings, kept next to them and rebuilt from them when lost.</summary>
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

    /// <summary>Rows without an end (sessions running, or cut by a crash).</summary>
    IReadOnlyList<RecordingIndexEntry> Unended();

    /// <summary>Every session id in the index.</summary>
    IReadOnlySet<string> SessionIds();

    /// <summary>Removes a row.</summary>
    void Remove(string sessionId);
}
