using System.Globalization;

namespace Broker.Harness.Machine;

/// <summary>
/// CPU time (seconds) of every process that ever ran in a cgroup: <c>cpuacct.usage</c> (nanoseconds) of a cgroup v1
/// cpuacct directory, or <c>usage_usec</c> of a cgroup v2 directory's <c>cpu.stat</c>. Unlike a process's reaped
/// children's time, it keeps the CPU of processes whose parent exited without waiting for them.
/// </summary>
internal static class CgroupCpu
{
    /// <summary>The cgroup's CPU seconds so far; NaN when it cannot be read.</summary>
    public static double Seconds(string directory)
    {
        try
        {
            var v1 = Path.Combine(directory, "cpuacct.usage");
            if (File.Exists(v1))
            {
                return long.Parse(File.ReadAllText(v1).Trim(), CultureInfo.InvariantCulture) / 1e9;
            }

            foreach (var line in File.ReadLines(Path.Combine(directory, "cpu.stat")))
            {
                if (line.StartsWith("usage_usec ", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan("usage_usec ".Length), CultureInfo.InvariantCulture) / 1e6;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }

        return double.NaN;
    }
}
