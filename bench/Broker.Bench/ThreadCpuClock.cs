using System.Runtime.InteropServices;

namespace Broker.Bench;

/// <summary>
/// The calling thread's CPU clock. On a shared machine the wall clock counts the time other processes hold the core;
/// this clock does not, so the CPU-time suites (<c>masking-cpu</c>, <c>policy-cpu</c>) read it instead.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>CPU time the calling thread has used, in nanoseconds.</summary>
    public static double Nanoseconds()
    {
        if (ClockGetTime(ClockThreadCpuTimeId, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        }

        return (time.Seconds * 1e9) + time.Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
