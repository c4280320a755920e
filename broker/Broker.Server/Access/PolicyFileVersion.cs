using System.Security.Cryptography;
using Broker.Core.Native;

namespace Broker.Server.Access;

/// <summary>
/// A policy file as read once, completely: its identity on disk (device and inode), its size and modification time
/// before and after the read, and the SHA-256 of the bytes read. A reload takes a file only when it is whole: the
/// read saw a stable file, and the file was replaced by rename since the last load (a new inode), because a file
/// written in place can be read half-written, and a cut before a deny rule would silently allow what it denied.
/// </summary>
internal sealed record PolicyFileVersion(ulong Device, ulong Inode, long Size, long ModifiedTicks, string Sha256, string Text)
{
    /// <summary>Reads <paramref name="path"/>; null (with <paramref name="problem"/>) when it cannot be read or changed while being read.</summary>
    public static PolicyFileVersion? Read(string path, out string? problem)
    {
        problem = null;
        try
        {
            if (FileIdentity.Of(path) is not { } before)
            {
                problem = "cannot stat the policy file";
                return null;
            }

            var bytes = File.ReadAllBytes(path);
            if (FileIdentity.Of(path) is not { } after || after != before || after.Size != bytes.Length)
            {
                problem = "the policy file changed while it was read";
                return null;
            }

            return new PolicyFileVersion(before.Device, before.Inode, before.Size, before.ModifiedNanoseconds, Convert.ToHexStringLower(SHA256.HashData(bytes)), System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = "cannot read the policy file: " + e.Message;
            return null;
        }
    }

    /// <summary>Whether <paramref name="next"/> is the same file object (written in place) with other content.</summary>
    public bool EditedInPlace(PolicyFileVersion next) => next.Device == Device && next.Inode == Inode && next.Sha256 != Sha256;
}
