namespace Replay.Sources;

/// <summary>One recording the tool can read: a file today, a broker session tomorrow.</summary>
internal interface IRecordingSource
{
    /// <summary>How the recording is named in output (a path, a session id).</summary>
    string Name { get; }

    /// <summary>Size in bytes, when known.</summary>
    long? Length { get; }

    /// <summary>Opens the recording from its start.</summary>
    ValueTask<Stream> OpenAsync(CancellationToken cancellationToken);
}
