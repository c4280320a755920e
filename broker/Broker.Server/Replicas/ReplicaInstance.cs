using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Server.Replicas;

/// <summary>
/// The instance id a replica claims its <c>replica.id</c> with, kept in <c>replica.instance</c> in the data directory
/// and locked there for as long as the process runs. A restart on the same data directory (after a crash included)
/// is the same instance, so it takes its id back at once instead of waiting out <c>dead_after</c>; a second process on
/// the same data directory is refused by the lock, and a process on another data directory is another instance, which
/// the registry refuses while the holder heartbeats.
/// </summary>
/// <remarks>
/// .NET takes an exclusive <c>flock</c> for <see cref="FileShare.None"/>; the kernel drops it with the process, so a
/// crash leaves nothing to clean. One per process and data directory: the start-up claim and the host's membership
/// must name the same instance, and the lock must outlive both.
/// </remarks>
internal static class ReplicaInstance
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "replica.instance";

    // On Linux .NET reports a file locked by another open file as an IOException carrying errno EWOULDBLOCK.
    private const int WouldBlock = 11;

    // The open files are kept here, not only their ids: a FileStream no longer referenced would be finalized, and its
    // lock released, while the process still runs.
    private static readonly ConcurrentDictionary<string, Lazy<(string? Id, string? Error, FileStream? Lock)>> Held = new(StringComparer.Ordinal);

    /// <summary>This process's instance for <paramref name="dataDirectory"/>, or why it cannot have one.</summary>
    public static (string? Id, string? Error) For(string dataDirectory)
    {
        var (id, error, _) = Held.GetOrAdd(Path.GetFullPath(dataDirectory), directory => new(() => Acquire(directory))).Value;
        return (id, error);
    }

    private static (string? Id, string? Error, FileStream? Lock) Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
            });
        }
        catch (IOException e) when (e.HResult == WouldBlock)
        {
            return (null, $"another broker is running on the data directory {directory} (it holds {path} locked): stop it, or give this one its own --data", null);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return (null, $"cannot open {path}: {e.Message}", null);
        }

        // Never disposed: the lock is the process's claim on the data directory until it exits.
        var buffer = new byte[64];
        var read = file.Read(buffer);
        var recorded = Encoding.ASCII.GetString(buffer, 0, read).Trim();
        if (IsInstanceId(recorded))
        {
            return (recorded, null, file);
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        file.SetLength(0);
        file.Write(Encoding.ASCII.GetBytes(id + "\n"));
        file.Flush(flushToDisk: true);
        return (id, null, file);
    }

    private static bool IsInstanceId(string text) => text.Length == 16 && text.All(char.IsAsciiHexDigitLower);
}
