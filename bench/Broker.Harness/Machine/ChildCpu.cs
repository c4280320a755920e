using System.Runtime.InteropServices;

namespace Broker.Harness.Machine;

/// <summary>
/// CPU time (user + system) used by this process's waited-for children, from getrusage
/// (RUSAGE_CHILDREN): the difference around one child's run is that child's CPU, as
/// <c>/usr/bin/time</c> reports it, provided no other child ends meanwhile.
/// </summary>
internal static partial class ChildCpu
{
    private const int RusageChildren = -1;

    public static TimeSpan Total()
    {
        if (GetRusage(RusageChildren, out var usage) != 0)
        {
            throw new IOException($"getrusage failed (errno {Marshal.GetLastPInvokeError()})");
        }

        var microseconds = (usage.UserSeconds * 1_000_000) + usage.UserMicroseconds + (usage.SystemSeconds * 1_000_000) + usage.SystemMicroseconds;
        return TimeSpan.FromMicroseconds(microseconds);
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs this code does not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        private readonly long _maxrss;
        private readonly long _ixrss;
        private readonly long _idrss;
        private readonly long _isrss;
        private readonly long _minflt;
        private readonly long _majflt;
        private readonly long _nswap;
        private readonly long _inblock;
        private readonly long _oublock;
        private readonly long _msgsnd;
        private readonly long _msgrcv;
        private readonly long _nsignals;
        private readonly long _nvcsw;
        private readonly long _nivcsw;
    }
}
