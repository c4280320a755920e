using System.Globalization;

namespace Broker.Harness.Machine;

/// <summary>
/// The scheduler's counters of every thread of some processes (<c>/proc/PID/task/TID/schedstat</c>: nanoseconds run,
/// nanoseconds waited on a run queue while runnable, times run), read at two moments so that the difference says, per
/// thread name, how long a system's threads waited for a core in a window. A count of waiting, not a latency: it does
/// not care how loaded the machine was, only how often and how long these threads were runnable and not running. A
/// thread that ends inside the window takes its counts with it; one that starts inside it counts from zero.
/// </summary>
internal sealed class ThreadWaits
{
    private readonly Dictionary<(int Pid, int Tid), (string Name, long RunNs, long WaitNs, long Slices)> _threads;

    private ThreadWaits(Dictionary<(int Pid, int Tid), (string Name, long RunNs, long WaitNs, long Slices)> threads) => _threads = threads;

    /// <summary>Every live thread of <paramref name="processIds"/> now.</summary>
    public static ThreadWaits Read(IEnumerable<int> processIds)
    {
        var threads = new Dictionary<(int, int), (string, long, long, long)>();
        foreach (var pid in processIds)
        {
            IEnumerable<string> tasks;
            try
            {
                tasks = [.. Directory.EnumerateDirectories($"/proc/{pid}/task")];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var task in tasks)
            {
                try
                {
                    var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                    var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                    threads[(pid, tid)] = (name, long.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[2], CultureInfo.InvariantCulture));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The thread ended between the listing and the read.
                }
            }
        }

        return new ThreadWaits(threads);
    }

    /// <summary>
    /// One line per thread name (the busiest first) of what these threads did since <paramref name="earlier"/>: threads,
    /// ms run, ms waited for a core, times run, and the wait per key for <paramref name="keys"/> keys typed meanwhile.
    /// </summary>
    public IEnumerable<string> Since(ThreadWaits earlier, int keys)
    {
        var byName = new Dictionary<string, (int Threads, long RunNs, long WaitNs, long Slices)>(StringComparer.Ordinal);
        foreach (var (id, now) in _threads)
        {
            var before = earlier._threads.TryGetValue(id, out var was) ? was : (now.Name, 0L, 0L, 0L);
            var sum = byName.GetValueOrDefault(now.Name);
            byName[now.Name] = (sum.Threads + 1, sum.RunNs + now.RunNs - before.Item2, sum.WaitNs + now.WaitNs - before.Item3, sum.Slices + now.Slices - before.Item4);
        }

        var perKey = Math.Max(1, keys);
        var total = (Run: byName.Values.Sum(v => v.RunNs), Wait: byName.Values.Sum(v => v.WaitNs), Slices: byName.Values.Sum(v => v.Slices));
        yield return string.Create(CultureInfo.InvariantCulture, $"      all threads: ran {total.Run / 1e6:F1} ms, waited for a core {total.Wait / 1e6:F1} ms in {total.Slices} runs; per key: ran {total.Run / 1e3 / perKey:F1} µs, waited {total.Wait / 1e3 / perKey:F1} µs, {(double)total.Slices / perKey:F2} runs ({keys} keys)");
        foreach (var (name, v) in byName.Where(p => p.Value.Slices > 0).OrderByDescending(p => p.Value.RunNs + p.Value.WaitNs))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"      {name} ({v.Threads} threads): ran {v.RunNs / 1e6:F1} ms, waited {v.WaitNs / 1e6:F1} ms in {v.Slices} runs (wait per run {(v.Slices > 0 ? v.WaitNs / 1e3 / v.Slices : 0):F1} µs); per key: ran {v.RunNs / 1e3 / perKey:F1} µs, waited {v.WaitNs / 1e3 / perKey:F1} µs");
        }
    }
}
