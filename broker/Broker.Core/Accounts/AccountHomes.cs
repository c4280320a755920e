using System.Text;
using Broker.Core.Native;

namespace Broker.Core.Accounts;

/// <summary>
/// Creates the pool's directories and each account's home. Everything inside a home is made through descriptors
/// (<c>mkdirat</c>, <c>openat</c> with <c>O_NOFOLLOW</c>, <c>fchown</c>), never by path: a home is the account's own,
/// and a symbolic link it planted there must not make the broker change anything outside it.
/// </summary>
internal static unsafe class AccountHomes
{
    private static readonly uint Private = Convert.ToUInt32("700", 8);
    private static readonly uint Shared = Convert.ToUInt32("755", 8);
    private static readonly uint GroupOrOtherWrite = Convert.ToUInt32("022", 8);

    /// <summary>Makes the pool's root, homes and leases directories (0755, 0755, 0700), owned by the broker; null or the problem.</summary>
    public static string? PrepareRoot(SessionAccountSettings settings)
    {
        return Directory(settings.Root, Shared) ?? Directory(settings.HomesDirectory, Shared) ?? Directory(settings.LeasesDirectory, Private);

        static string? Directory(string path, uint mode)
        {
            try
            {
                System.IO.Directory.CreateDirectory(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot create {path}: {ex.Message}";
            }

            var status = FileStatus.Of(path);
            if (status is not { IsDirectory: true } s)
            {
                return $"{path} is not a directory";
            }

            // Anyone else able to write here could swap a home or a lease under the broker.
            if (s.Uid != LibC.geteuid() && s.Uid != 0)
            {
                return $"{path} belongs to uid {s.Uid}, not to the broker";
            }

            if (s.Permissions != mode)
            {
                var name = Encoding.UTF8.GetBytes(path + "\0");
                fixed (byte* p = name)
                {
                    LibC.fchmodat(LibC.AT_FDCWD, p, mode, 0);
                }
            }

            return (FileStatus.Of(path)?.Permissions & GroupOrOtherWrite) == 0 ? null : $"{path} is writable by others";
        }
    }

    /// <summary>
    /// Makes sure the account's home exists, belongs to it and is private, and has a <c>tmp</c> of the account's.
    /// Returns whether both were already in that shape or made so (false: the home holds something the broker does
    /// not touch, to be cleaned as the account), or the problem.
    /// </summary>
    public static (bool Ready, string? Error) PrepareHome(SessionAccountSettings settings, SessionAccount account)
    {
        var homes = OpenDirectory(LibC.AT_FDCWD, settings.HomesDirectory);
        if (homes < 0)
        {
            return (false, $"cannot open {settings.HomesDirectory}: {LibC.Describe(LibC.LastError)}");
        }

        try
        {
            var name = Path.GetFileName(account.Home);
            if (!MakeDirectory(homes, name, out var error))
            {
                return (false, $"cannot create {account.Home}: {error}");
            }

            var home = OpenDirectory(homes, name);
            if (home < 0)
            {
                return (false, $"cannot open {account.Home}: {LibC.Describe(LibC.LastError)}");
            }

            try
            {
                if (FileStatus.OfDescriptor(home) is not { } status)
                {
                    return (false, $"cannot read {account.Home}: {LibC.Describe(LibC.LastError)}");
                }

                if ((status.Uid != account.Uid || status.Gid != account.Gid) && LibC.fchown(home, account.Uid, account.Gid) != 0)
                {
                    return (false, $"cannot give {account.Home} to {account.Name}: {LibC.Describe(LibC.LastError)}");
                }

                if (status.Permissions != Private && LibC.fchmod(home, Private) != 0)
                {
                    return (false, $"cannot make {account.Home} private: {LibC.Describe(LibC.LastError)}");
                }

                return PrepareTemporary(home, account);
            }
            finally
            {
                LibC.close(home);
            }
        }
        finally
        {
            LibC.close(homes);
        }
    }

    private static (bool Ready, string? Error) PrepareTemporary(int home, SessionAccount account)
    {
        if (!MakeDirectory(home, "tmp", out var error, out var created))
        {
            return (false, $"cannot create {account.Home}/tmp: {error}");
        }

        if (!created)
        {
            // Left by the account: only a directory of its own, as its cleaning leaves it, is ready.
            return (FileStatus.Of("tmp", home) is { IsDirectory: true } existing && existing.Uid == account.Uid, null);
        }

        var tmp = OpenDirectory(home, "tmp");
        if (tmp < 0 || LibC.fchown(tmp, account.Uid, account.Gid) != 0)
        {
            var problem = LibC.Describe(LibC.LastError);
            if (tmp >= 0)
            {
                LibC.close(tmp);
            }

            return (false, $"cannot give {account.Home}/tmp to {account.Name}: {problem}");
        }

        LibC.close(tmp);
        return (true, null);
    }

    private static bool MakeDirectory(int parent, string name, out string? error) => MakeDirectory(parent, name, out error, out _);

    private static bool MakeDirectory(int parent, string name, out string? error, out bool created)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            created = LibC.mkdirat(parent, p, Private) == 0;
        }

        error = created || LibC.LastError == LibC.EEXIST ? null : LibC.Describe(LibC.LastError);
        return error is null;
    }

    private static int OpenDirectory(int parent, string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return LibC.openat(parent, p, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        }
    }
}
