using Broker.Core.Native;

namespace Broker.Core.Accounts;

/// <summary>
/// Whether an account's home is exactly what cleaning leaves: the home private to the account, holding only an
/// empty, private <c>tmp</c> of the account's. A session that left it so (a command like <c>true</c>) needs no
/// cleaner process when it ends.
/// </summary>
/// <remarks>
/// Only meaningful while nothing runs as the account (its session's cgroup was removed empty): otherwise a process
/// could write between this look and the account's next lease. Nothing is followed or changed: the home's parent
/// belongs to the broker, so the home's path is the account's home; <c>tmp</c> is judged without following a link.
/// </remarks>
internal static class PristineHome
{
    private const uint Private = 0x1C0; // 0700

    public static bool Holds(SessionAccount account)
    {
        try
        {
            if (!IsPrivateDirectoryOf(FileStatus.Of(account.Home), account)
                || !IsOnly(System.IO.Directory.EnumerateFileSystemEntries(account.Home), "tmp"))
            {
                return false;
            }

            var tmp = Path.Combine(account.Home, "tmp");
            return IsPrivateDirectoryOf(FileStatus.Of(tmp), account) && !System.IO.Directory.EnumerateFileSystemEntries(tmp).Any();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // What cannot be read is not known to be clean: the cleaner looks at it as the account.
            return false;
        }
    }

    private static bool IsPrivateDirectoryOf(FileStatus? status, SessionAccount account) =>
        status is { IsDirectory: true } s && s.Uid == account.Uid && s.Gid == account.Gid && s.Permissions == Private;

    private static bool IsOnly(IEnumerable<string> entries, string name)
    {
        using var each = entries.GetEnumerator();
        return each.MoveNext() && Path.GetFileName(each.Current) == name && !each.MoveNext();
    }
}
