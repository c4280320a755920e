using System.Text;

namespace Broker.Core.Native;

/// <summary>
/// Changes who owns a file and who may use it, by path, with the system calls themselves (.NET has no call that
/// changes an owner without following a symbolic link). Failures are values: the reason, or null when it worked.
/// </summary>
public static unsafe class FileOwnership
{
    /// <summary>Gives <paramref name="path"/> to <paramref name="uid"/> and <paramref name="gid"/>; a symbolic link itself is changed, never its target.</summary>
    /// <returns>Null, or why the owner could not be changed.</returns>
    public static string? ChangeOwner(string path, uint uid, uint gid) =>
        Call(path, p => LibC.fchownat(LibC.AT_FDCWD, p, uid, gid, LibC.AT_SYMLINK_NOFOLLOW));

    /// <summary>Sets the permission bits of <paramref name="path"/> to <paramref name="mode"/>; a symbolic link is followed, so callers check with <see cref="FileStatus"/> first.</summary>
    /// <returns>Null, or why the mode could not be changed.</returns>
    public static string? ChangeMode(string path, uint mode) =>
        Call(path, p => LibC.fchmodat(LibC.AT_FDCWD, p, mode, 0));

    /// <summary>Sets the process's file mode creation mask (<c>umask</c>), which applies to every file made afterwards, by any thread.</summary>
    /// <returns>The previous mask.</returns>
    public static uint SetCreationMask(uint mask) => LibC.umask(mask);

    private delegate int PathCall(byte* path);

    private static string? Call(string path, PathCall call)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return call(p) == 0 ? null : LibC.Describe(LibC.LastError);
        }
    }
}
