using Recorder;

namespace Broker.Server.Recording;

/// <summary>
/// Recordings as files under the data directory, one per session, in a directory per day;
/// the signing key next to them and its public half exported for auditors.
/// </summary>
internal sealed class RecordingStore : IRecordingStorage, IDisposable
{
    public const string Extension = ".brkrec";

    /// <param name="dataDirectory">The data directory: recordings go under it, the public key next to them.</param>
    /// <param name="options">How recordings are written.</param>
    /// <param name="signingKeyPath">
    /// The signing key's file, or null for <c>recording-key.pem</c> in the data directory. A path outside the
    /// data directory keeps the key away from whatever can reach the recordings (a backup, a shared volume).
    /// </param>
    public RecordingStore(string dataDirectory, RecordingWriterOptions options, string? signingKeyPath = null)
    {
        Directory = Path.Combine(dataDirectory, "recordings");
        System.IO.Directory.CreateDirectory(Directory);
        Options = options;
        Key = RecordingSigningKey.LoadOrCreate(signingKeyPath ?? Path.Combine(dataDirectory, "recording-key.pem"));
        PublicKeyPath = Path.Combine(dataDirectory, "recording-key.pub.pem");
        var publicKey = Key.ExportPublicKeyPem();
        if (!File.Exists(PublicKeyPath) || File.ReadAllText(PublicKeyPath) != publicKey)
        {
            File.WriteAllText(PublicKeyPath, publicKey);
        }
    }

    public string Directory { get; }

    public string PublicKeyPath { get; }

    public RecordingSigningKey Key { get; }

    public RecordingWriterOptions Options { get; }

    public string PublicKeyPem => Key.ExportPublicKeyPem();

    /// <summary>Where the recording of <paramref name="sessionId"/> started at <paramref name="started"/> lives.</summary>
    public string PathFor(string sessionId, DateTimeOffset started) =>
        Path.Combine(Directory, started.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), sessionId + Extension);

    /// <summary>Finds the recording of a session by id (ids are unique; the day directory is searched).</summary>
    public string? Find(string sessionId)
    {
        if (sessionId.Length == 0 || sessionId.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
        {
            return null;
        }

        return System.IO.Directory.EnumerateFiles(Directory, sessionId + Extension, SearchOption.AllDirectories).FirstOrDefault();
    }

    public RecordingWriter Create(RecordingHeader header, TimeProvider time)
    {
        var path = PathFor(header.SessionId, header.StartedAt);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return RecordingWriter.CreateFile(path, header, Key, Options, time);
    }

    public IEnumerable<string> EnumerateAll() =>
        System.IO.Directory.EnumerateFiles(Directory, "*" + Extension, SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public Stream OpenRead(string location) =>
        new FileStream(location, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: false);

    public long SizeOf(string location)
    {
        var file = new FileInfo(location);
        return file.Exists ? file.Length : 0;
    }

    public bool Delete(string location)
    {
        if (!File.Exists(location))
        {
            return false;
        }

        File.Delete(location);
        var day = Path.GetDirectoryName(location);
        if (day is not null && day != Directory && !System.IO.Directory.EnumerateFileSystemEntries(day).Any())
        {
            // An empty day directory is left by retention; removing it keeps the tree small.
            System.IO.Directory.Delete(day);
        }

        return true;
    }

    public void Dispose() => Key.Dispose();
}
