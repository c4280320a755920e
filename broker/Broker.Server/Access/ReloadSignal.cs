using System.Globalization;

namespace Broker.Server.Access;

/// <summary>How the policy is reloaded, said at start-up; and whether the reload signal can arrive at all.</summary>
internal static class ReloadSignal
{
    private const int Hangup = 1;

    /// <summary>
    /// Whether SIGHUP was ignored when the process started (<c>nohup</c> does that, and an ignored signal stays
    /// ignored across exec): read from the kernel's record of ignored signals (<c>SigIgn</c> in /proc/self/status).
    /// </summary>
    public static bool IgnoredAtStart()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal)
                    && ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask))
                {
                    return (mask & (1UL << (Hangup - 1))) != 0;
                }
            }
        }
        catch (IOException)
        {
            // No /proc: nothing to tell.
        }

        return false;
    }

    /// <summary>The start-up line about reloading.</summary>
    public static string Describe(string? configFile, int processId, string? sha256, bool hangupIgnored)
    {
        if (configFile is null)
        {
            return "broker: the policy is the embedded dev policy; it is not reloaded (use --config FILE to reload one)";
        }

        var line = $"broker: policy {configFile} (sha256 {sha256 ?? "unknown"}); to reload it, replace the file by rename (write a new file, mv it over) and run: kill -HUP {processId}";
        return hangupIgnored
            ? line + "\nbroker: warning: SIGHUP was ignored when the broker started (nohup?): the reload signal may not arrive; start it without nohup (or with setsid/systemd) to reload without a restart"
            : line;
    }
}
