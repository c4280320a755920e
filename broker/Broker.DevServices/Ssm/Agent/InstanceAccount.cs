using System.Globalization;
using System.Runtime.InteropServices;

namespace Broker.DevServices.Ssm.Agent;

/// <summary>
/// The account the "instance" runs programs as, like the agent's ssm-user: programs are started
/// through <c>setpriv</c> with its uid, gid and groups, and each session's home directory is given
/// to it. Only a root emulator can switch to another account.
/// </summary>
public sealed partial record InstanceAccount(string Name, uint UserId, uint GroupId)
{
    private const string SetPriv = "/usr/bin/setpriv";

    /// <summary>Looks an account up in /etc/passwd; null when there is none.</summary>
    /// <param name="name">The account name.</param>
    /// <returns>The account.</returns>
    public static InstanceAccount? Find(string name)
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && fields[0] == name &&
                uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) &&
                uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
            {
                return new InstanceAccount(name, uid, gid);
            }
        }

        return null;
    }

    /// <summary>The argv that runs <paramref name="argv"/> as this account.</summary>
    internal IReadOnlyList<string> Wrap(IReadOnlyList<string> argv) =>
        [SetPriv, $"--reuid={UserId}", $"--regid={GroupId}", "--init-groups", "--", .. argv];

    /// <summary>Gives <paramref name="directory"/> to this account.</summary>
    internal void Own(string directory)
    {
        if (chown(directory, UserId, GroupId) != 0)
        {
            throw new IOException($"cannot give {directory} to {Name}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Lets every account pass through <paramref name="directory"/> (mode 0711), so this one reaches the home inside.</summary>
    internal static void OpenForTraversal(string directory)
    {
        if (chmod(directory, Convert.ToUInt32("711", 8)) != 0)
        {
            throw new IOException($"cannot open {directory} for traversal: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, uint owner, uint group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);
}
