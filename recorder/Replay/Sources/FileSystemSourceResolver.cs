using Recorder;

namespace Replay.Sources;

/// <summary>
/// A file is one recording; a directory is every recording below it (found by their magic, so
/// file names do not matter), in path order. A directory may hold anything: subdirectories that
/// cannot be read are skipped, and so is anything without the size of a recording's magic (a named
/// pipe or a device reports none, and would block or never end if opened).
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

        var walk = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var files = Directory.EnumerateFiles(location, "*", walk)
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
            if (new FileInfo(path).Length < RecordingFiles.MagicLength)
            {
                return false;
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RecordingFiles.HasMagic(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
