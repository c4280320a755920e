using System.Globalization;
using Broker.Core.Native;

namespace Broker.Core.Accounts;

/// <summary>Whether this broker can run programs as other accounts.</summary>
public static class AccountPrivileges
{
    // Capability numbers: CAP_CHOWN gives a session its terminal and home, CAP_SETGID and CAP_SETUID the identity.
    private const int CapChown = 0;
    private const int CapSetgid = 6;
    private const int CapSetuid = 7;

    /// <summary>The broker's own (effective) uid.</summary>
    public static uint BrokerUid => LibC.geteuid();

    /// <summary>The broker's own (effective) gid.</summary>
    public static uint BrokerGid => LibC.getegid();

    /// <summary>
    /// Whether programs can be started as other accounts: as root, or as an account holding CAP_SETUID, CAP_SETGID and
    /// CAP_CHOWN in its ambient set (the spawn helper is a separate executable; only ambient capabilities reach it).
    /// </summary>
    public static bool CanSwitchAccounts => BrokerUid == 0 || HasAmbient(CapChown, CapSetgid, CapSetuid);

    /// <summary>Why programs cannot be started as other accounts here, for error messages.</summary>
    public static string WhyNot =>
        $"the broker runs as uid {BrokerUid}, not as root, and holds no ambient CAP_SETUID, CAP_SETGID and CAP_CHOWN";

    private static bool HasAmbient(params int[] capabilities)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapAmb:", StringComparison.Ordinal));
            if (line is null || !ulong.TryParse(line["CapAmb:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var set))
            {
                return false;
            }

            return capabilities.All(c => (set & (1UL << c)) != 0);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
