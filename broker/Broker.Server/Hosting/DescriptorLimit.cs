using System.Runtime.InteropServices;

namespace Broker.Server.Hosting;

/// <summary>
/// The process's open-file limit. Many systems start services with a soft limit of 1024 and a much
/// higher hard limit; the broker raises the soft limit to the hard one at start, and plans its
/// connections within it (<see cref="ConnectionBudget"/>).
/// </summary>
internal static partial class DescriptorLimit
{
    private const int RlimitNofile = 7;

    /// <summary>Raises the soft limit to the hard limit; returns the limit now in force.</summary>
    public static long Raise()
    {
        var limit = default(Rlimit);
        if (getrlimit(RlimitNofile, ref limit) != 0)
        {
            // Without getrlimit there is nothing to plan with; 1024 is the conventional default.
            return 1024;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (setrlimit(RlimitNofile, in raised) == 0)
            {
                limit = raised;
            }
        }

        return (long)Math.Min(limit.Current, long.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private record struct Rlimit(ulong Current, ulong Maximum);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, ref Rlimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in Rlimit limit);
}
