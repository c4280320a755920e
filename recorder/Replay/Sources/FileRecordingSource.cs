namespace Replay.Sources;

/// <summary>A recording file; named by its path, or by what it stands for (a downloaded session).</summary>
internal sealed class FileRecordingSource(string path, string? name = null) : IRecordingSource
{
    public string Name => name ?? path;

    public long? Length => new FileInfo(path).Length;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: false));
}
