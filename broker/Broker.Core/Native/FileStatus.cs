using System.Text;

namespace Broker.Core.Native;

/// <summary>Owner, group and mode of a file, read with <c>statx</c> (which .NET does not expose), never following a final symbolic link.</summary>
/// <param name="Uid">Owner.</param>
/// <param name="Gid">Group.</param>
/// <param name="Mode">Type and permission bits (<c>st_mode</c>).</param>
public readonly record struct FileStatus(uint Uid, uint Gid, uint Mode)
{
    private const uint TypeMask = 0xF000;
    private const uint DirectoryType = 0x4000;
    private const uint LinkType = 0xA000;

    /// <summary>Whether the file is a directory.</summary>
    public bool IsDirectory => (Mode & TypeMask) == DirectoryType;

    /// <summary>Whether the file is a symbolic link (never followed).</summary>
    public bool IsSymbolicLink => (Mode & TypeMask) == LinkType;

    /// <summary>The permission bits (including set-id and sticky).</summary>
    public uint Permissions => Mode & 0xFFF;

    /// <summary>The status of <paramref name="path"/>, or null when it cannot be read (it does not exist, or is out of reach).</summary>
    public static FileStatus? Of(string path) => Of(path, LibC.AT_FDCWD);

    /// <summary>The status of <paramref name="path"/> relative to the open directory <paramref name="directory"/>, or null with errno set.</summary>
    internal static unsafe FileStatus? Of(string path, int directory)
    {
        var name = Encoding.UTF8.GetBytes(path + "\0");
        var buffer = stackalloc byte[LibC.StatxSize];
        fixed (byte* p = name)
        {
            if (LibC.statx(directory, p, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buffer) != 0)
            {
                return null;
            }
        }

        return new FileStatus(*(uint*)(buffer + LibC.StatxUidOffset), *(uint*)(buffer + LibC.StatxGidOffset), *(ushort*)(buffer + LibC.StatxModeOffset));
    }

    /// <summary>The status of the open descriptor <paramref name="fd"/>, or null with errno set.</summary>
    internal static unsafe FileStatus? OfDescriptor(int fd)
    {
        var buffer = stackalloc byte[LibC.StatxSize];
        var empty = stackalloc byte[1];
        empty[0] = 0;
        if (LibC.statx(fd, empty, LibC.AT_EMPTY_PATH, LibC.STATX_BASIC_STATS, buffer) != 0)
        {
            return null;
        }

        return new FileStatus(*(uint*)(buffer + LibC.StatxUidOffset), *(uint*)(buffer + LibC.StatxGidOffset), *(ushort*)(buffer + LibC.StatxModeOffset));
    }
}
