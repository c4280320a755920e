using System.Buffers.Binary;

namespace Broker.Core.Native;

/// <summary>
/// Which file object a path names (device and inode), with its size and modification time, read with <c>statx</c>
/// following symbolic links: two reads that agree saw the same, unchanged file; a new inode means the path was
/// replaced (by rename) in between.
/// </summary>
/// <param name="Device">The device the file is on.</param>
/// <param name="Inode">The file's inode on that device.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="ModifiedNanoseconds">Its last modification, in nanoseconds since the Unix epoch.</param>
public readonly record struct FileIdentity(ulong Device, ulong Inode, long Size, long ModifiedNanoseconds)
{
    /// <summary>The identity of what <paramref name="path"/> names now, or null when it cannot be read.</summary>
    public static unsafe FileIdentity? Of(string path)
    {
        var buffer = stackalloc byte[LibC.StatxSize];
        if (LibC.statx(LibC.AT_FDCWD, path, 0, LibC.STATX_BASIC_STATS, buffer) != 0)
        {
            return null;
        }

        // struct statx: stx_ino at 32, stx_size at 40, stx_mtime (seconds, nanoseconds) at 112, stx_dev_major and minor at 136.
        var span = new ReadOnlySpan<byte>(buffer, LibC.StatxSize);
        var inode = BinaryPrimitives.ReadUInt64LittleEndian(span[32..]);
        var size = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        var modified = (BinaryPrimitives.ReadInt64LittleEndian(span[112..]) * 1_000_000_000L) + BinaryPrimitives.ReadUInt32LittleEndian(span[120..]);
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(span[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(span[140..]);
        return new FileIdentity(device, inode, size, modified);
    }
}
