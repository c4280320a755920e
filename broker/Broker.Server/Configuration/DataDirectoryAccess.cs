using Broker.Core.Accounts;
using Broker.Core.Native;

namespace Broker.Server.Configuration;

/// <summary>
/// Makes the data directory (keys, recordings, index, logs) the broker's alone before anything in it is used: every
/// directory 0700 and every file 0600, owned by the broker's account, so that no session account can list, read,
/// change or delete anything in it whatever the umask was when it was made. Existing directories are fixed at each
/// start; symbolic links are never followed (and are reported).
/// </summary>
internal static class DataDirectoryAccess
{
    private static readonly uint DirectoryMode = Convert.ToUInt32("700", 8);
    private static readonly uint FileMode = Convert.ToUInt32("600", 8);

    /// <summary>Secures <paramref name="dataDirectory"/> (created if missing); the warnings to log, or the reason it cannot be secured.</summary>
    public static (IReadOnlyList<string> Warnings, string? Error) Secure(string dataDirectory)
    {
        var existed = Directory.Exists(dataDirectory);
        try
        {
            Directory.CreateDirectory(dataDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], $"cannot create the data directory {dataDirectory}: {ex.Message}");
        }

        var warnings = new List<string>();
        var root = new DirectoryInfo(dataDirectory);
        // The data directory itself may be a link (to another disk): its target is what must be private.
        var path = root.LinkTarget is null ? root.FullName : root.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root.FullName;
        var owner = AccountPrivileges.BrokerUid;
        var tightened = 0;
        var error = Secure(path, owner, warnings, ref tightened);
        // A directory made just now got the process's umask: tightening it is no news.
        if (error is null && tightened > 0 && existed)
        {
            warnings.Add($"the data directory {dataDirectory} had {tightened} entries open to other accounts or owned by them; they are now the broker's alone");
        }

        return (warnings, error);
    }

    private static string? Secure(string path, uint owner, List<string> warnings, ref int tightened)
    {
        if (FileStatus.Of(path) is not { } status)
        {
            // Gone meanwhile (a recording removed by retention): nothing to secure.
            return null;
        }

        if (status.IsSymbolicLink)
        {
            warnings.Add($"{path} in the data directory is a symbolic link; the broker does not follow it to secure its target");
            return null;
        }

        var wanted = status.IsDirectory ? DirectoryMode : FileMode;
        if (status.Uid != owner || status.Permissions != wanted)
        {
            if (status.Uid != owner && owner != 0)
            {
                return $"{path} belongs to uid {status.Uid}, not to the broker (uid {owner}); the broker cannot take it over";
            }

            if (status.Uid != owner || status.Gid != AccountPrivileges.BrokerGid)
            {
                if (FileOwnership.ChangeOwner(path, owner, AccountPrivileges.BrokerGid) is { } chownError)
                {
                    return $"cannot give {path} to the broker: {chownError}";
                }
            }

            if (FileOwnership.ChangeMode(path, wanted) is { } chmodError)
            {
                return $"cannot make {path} private: {chmodError}";
            }

            tightened++;
        }

        if (!status.IsDirectory)
        {
            return null;
        }

        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(path).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot list {path}: {ex.Message}";
        }

        foreach (var entry in entries)
        {
            if (Secure(entry, owner, warnings, ref tightened) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }
}
