using Recorder;

namespace Replay.Sources;

/// <summary>
/// A file is one recording; a directory is every recording below it (found by their magic, so
/// file names do not matter), in path order.
/// </summary>
internal sealed class FileSystemSourceResolver : IRecordingSourceResolver
{
    public ValueTask<SourceResolution?> ResolveAsync(string location, CancellationToken cancellationToken)
    {
        if (File.Exists(location))
        {
            return ValueTask.FromResult<SourceResolution?>(new SourceResolution([new FileRecordingSource(location)]));
        }

        if (!Directory.Exists(location))
        {
            return ValueTask.FromResult<SourceResolution?>(null);
        }

        var files = Directory.EnumerateFiles(location, "*", SearchOption.AllDirectories)
            .Where(IsRecording)
            .Order(StringComparer.Ordinal)
            .Select(path => (IRecordingSource)new FileRecordingSource(path))
            .ToList();
        return ValueTask.FromResult<SourceResolution?>(files.Count == 0
            ? SourceResolution.Failed($"no recordings in directory {location}")
            : new SourceResolution(files));
    }

    private static bool IsRecording(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RecordingFiles.HasMagic(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
