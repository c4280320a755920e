namespace Replay.Sources;

internal sealed class FileRecordingSource(string path) : IRecordingSource
{
    public string Name => path;

    public long? Length => new FileInfo(path).Length;

    public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: false));
}
