using System.Globalization;

namespace Broker.Harness.Machine;

/// <summary>
/// The processes that serve sessions on one system, read from /proc: a root process and, when
/// asked, its descendants. Shells (and what runs in them) are never counted: they are the
/// sessions' own cost, the same on every system.
/// </summary>
internal sealed class ServerProcesses
{
    private static readonly double s_ticksPerSecond = 100;
    private readonly IReadOnlyList<int> _rootProcessIds;
    private readonly bool _includeDescendants;

    public ServerProcesses(int rootProcessId, bool includeDescendants)
        : this([rootProcessId], includeDescendants)
    {
    }

    /// <summary>Several servers counted as one system (broker replicas): their samples add up.</summary>
    public ServerProcesses(IReadOnlyList<int> rootProcessIds, bool includeDescendants)
    {
        _rootProcessIds = rootProcessIds;
        _includeDescendants = includeDescendants;
    }

    public ServerSample Sample()
    {
        long rss = 0, pss = 0, switches = 0;
        double cpu = 0;
        var count = 0;
        Dictionary<long, ThreadRun>? threads = [];
        foreach (var pid in Members())
        {
            var stat = ReadStat(pid);
            if (stat is null)
            {
                continue;
            }

            count++;
            var run = RunTime(pid, threads);
            if (run is null)
            {
                // Read by clock ticks: no thread can be followed across samples.
                threads = null;
            }

            cpu += run?.Seconds ?? stat.Value.CpuTicks / s_ticksPerSecond;
            switches += run?.Switches ?? 0;
            rss += ReadKib($"/proc/{pid}/status", "VmRSS:");
            pss += ReadKib($"/proc/{pid}/smaps_rollup", "Pss:");
        }

        return new ServerSample(rss, pss, cpu, count, DateTime.UtcNow) { Switches = switches, Threads = threads };
    }

    /// <summary>The scheduler's counters of every thread of the server's processes now (see <see cref="ThreadWaits"/>).</summary>
    public ThreadWaits Threads() => ThreadWaits.Read(Members());

    private List<int> Members()
    {
        if (!_includeDescendants)
        {
            return [.. _rootProcessIds];
        }

        var children = new Dictionary<int, List<int>>();
        var names = new Dictionary<int, string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var stat = ReadStat(pid);
            if (stat is null)
            {
                continue;
            }

            names[pid] = stat.Value.Name;
            if (!children.TryGetValue(stat.Value.ParentId, out var list))
            {
                children[stat.Value.ParentId] = list = [];
            }

            list.Add(pid);
        }

        var members = new List<int>();
        var pending = new Stack<int>(_rootProcessIds);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            if (names.TryGetValue(pid, out var name) && name == "bash")
            {
                continue;
            }

            members.Add(pid);
            if (children.TryGetValue(pid, out var list))
            {
                foreach (var child in list)
                {
                    pending.Push(child);
                }
            }
        }

        return members;
    }

    /// <summary>
    /// The process's run time from the scheduler (<c>/proc/PID/task/*/schedstat</c>, nanoseconds, its live threads) and
    /// how many times its threads were switched onto a core (schedstat's third field), or null when it cannot be read. The <c>utime</c> and <c>stime</c> of <c>/proc/PID/stat</c> are charged by clock-tick
    /// samples on kernels built that way (this benchmark's VM is one): a process that wakes for a few hundred
    /// microseconds on an otherwise idle core is never running at a tick, so each of sshd's per-session processes read
    /// 0 after typing for minutes (2026-12-07) while the scheduler had counted 0.7 ms for it. A thread that ends during a
    /// measurement takes its run time with it from this sum, which is why <see cref="ServerSample.Since"/> follows threads.
    /// Each thread's counters are added to <paramref name="threads"/> (when not null) under its id.
    /// </summary>
    private static (double Seconds, long Switches)? RunTime(int pid, Dictionary<long, ThreadRun>? threads)
    {
        IEnumerable<string> tasks;
        try
        {
            tasks = [.. Directory.EnumerateDirectories($"/proc/{pid}/task")];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        long nanoseconds = 0, switches = 0;
        foreach (var task in tasks)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "schedstat"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended between the listing and the read.
                continue;
            }

            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length < 3
                || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ran)
                || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var slices))
            {
                return null;
            }

            nanoseconds += ran;
            switches += slices;
            if (threads is not null && int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid))
            {
                threads[((long)pid << 32) | (uint)tid] = new ThreadRun(ran, slices);
            }
        }

        return (nanoseconds / 1e9, switches);
    }

    private static (string Name, int ParentId, long CpuTicks)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }

        // Fields after the command name: state ppid ... utime(14) stime(15), counted from 1 with the pid.
        var fields = text[(close + 2)..].Split(' ');
        var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
        var user = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var system = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (text[(open + 1)..close], parent, user + system);
    }

    private static long ReadKib(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var digits = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(digits, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The process ended between listing and reading: it holds nothing any more.
        }

        return 0;
    }
}

/// <summary>Memory (KiB) and CPU (seconds) of a system's server processes at one moment.</summary>
internal readonly record struct ServerSample(long RssKib, long PssKib, double CpuSeconds, int Processes, DateTime Taken)
{
    /// <summary>
    /// Times the server's live threads were switched onto a core so far (the scheduler's count, the sum of their voluntary
    /// and involuntary context switches; 0 where it could not be read): one per wake-up or preemption.
    /// </summary>
    public long Switches { get; init; }

    /// <summary>Each live thread's counters, keyed by process and thread id; null when some process was read by clock ticks.</summary>
    public IReadOnlyDictionary<long, ThreadRun>? Threads { get; init; }

    /// <summary>
    /// The run time (seconds) and switches of the server between <paramref name="earlier"/> and this sample. Followed thread
    /// by thread where both samples have the threads: a thread gone by now (a retired pool thread, an ended process) takes
    /// only its run time within the window out of the sum, not its whole life's, as the difference of the two sums would; a
    /// thread born within the window counts whole.
    /// </summary>
    public (double CpuSeconds, long Switches) Since(ServerSample earlier)
    {
        if (Threads is null || earlier.Threads is null)
        {
            return (CpuSeconds - earlier.CpuSeconds, Switches - earlier.Switches);
        }

        long nanoseconds = 0, switches = 0;
        foreach (var (id, now) in Threads)
        {
            // The kernel reuses thread ids; a counter lower than before belongs to a new thread of that id.
            var before = earlier.Threads.TryGetValue(id, out var then) && then.Nanoseconds <= now.Nanoseconds ? then : default;
            nanoseconds += now.Nanoseconds - before.Nanoseconds;
            switches += now.Switches - before.Switches;
        }

        return (nanoseconds / 1e9, switches);
    }
}

/// <summary>One thread's counters from <c>/proc/PID/task/TID/schedstat</c>: nanoseconds run and times switched onto a core.</summary>
internal readonly record struct ThreadRun(long Nanoseconds, long Switches);
