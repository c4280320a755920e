using System.Globalization;

namespace Broker.TestSupport.Availability;

/// <summary>A process's resident memory as the kernel reports it in <c>/proc/PID/status</c> (measured, never timed).</summary>
public static class ProcessMemory
{
    /// <summary>The resident set now (<c>VmRSS</c>), in bytes; 0 when the process is gone.</summary>
    public static long Resident(int pid) => Field(pid, "VmRSS:");

    /// <summary>The highest resident set since the process started or since <see cref="ResetPeak"/> (<c>VmHWM</c>), in bytes.</summary>
    public static long Peak(int pid) => Field(pid, "VmHWM:");

    /// <summary>Starts a new peak at the current resident set (writing 5 to <c>clear_refs</c>); false where the kernel refuses.</summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Mebibytes, for messages.</summary>
    public static string Describe(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MiB";

    private static long Field(int pid, string name)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        // "VmRSS:     123456 kB"
        var line = lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }
}
