namespace Broker.Integration.Tests.Fixtures;

/// <summary>Checks processes by pid through /proc (zombies count as gone: they hold nothing).</summary>
public static class ProcessProbe
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not "Z" and not "X";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Live processes whose session id is <paramref name="sessionId"/> (a setsid leader's pid).</summary>
    public static IReadOnlyList<int> SessionMembers(int sessionId)
    {
        var members = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText($"{directory}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is not "Z" and not "X" && fields[3] == sessionId.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    members.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked: it is no member any more.
            }
        }

        return members;
    }

    /// <summary>
    /// Whether a live process runs exactly <paramref name="argv"/> in the foreground process group of its terminal:
    /// only then does an interrupt sent to the terminal's foreground reach it (until the shell has handed it the
    /// terminal, the interrupt goes to the shell, which waits for the program and ignores it).
    /// </summary>
    public static bool InForeground(params string[] argv)
    {
        var expected = string.Join('\0', argv) + "\0";
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText($"{directory}/cmdline") != expected)
                {
                    continue;
                }

                var stat = File.ReadAllText($"{directory}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is not "Z" and not "X" && fields[2] == fields[5])
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read: not the one sought.
            }
        }

        return false;
    }

    public static async Task WaitGoneAsync(int pid, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"process {pid} is still alive");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// The descriptors this process holds for the terminal session led by <paramref name="leader"/>: the PTY master
    /// (found by its tty index), any handle on the slave, and the leader's pidfd. Matching on the session's own
    /// objects rather than counting every descriptor keeps the check exact while other test classes open and close
    /// sessions in the same process.
    /// </summary>
    public static IReadOnlyList<HeldDescriptor> DescriptorsOfSession(int leader)
    {
        var slave = new FileInfo($"/proc/{leader}/fd/0").LinkTarget
            ?? throw new InvalidOperationException($"process {leader} has no standard input");
        if (!slave.StartsWith("/dev/pts/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"process {leader} reads {slave}, not a PTY");
        }

        var ttyIndex = slave["/dev/pts/".Length..];
        var leaderPid = leader.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return HeldDescriptors().Where(d => d.Target == slave
            || (d.Target == "/dev/ptmx" && d.Info.GetValueOrDefault("tty-index") == ttyIndex)
            || (d.Target.StartsWith("anon_inode:[pidfd]", StringComparison.Ordinal) && d.Info.GetValueOrDefault("Pid") == leaderPid)).ToList();
    }

    /// <summary>
    /// Those of <paramref name="held"/> that are still open: the same descriptor number on the same object (target,
    /// inode and tty index), so a number the kernel has since reused for something else does not count.
    /// </summary>
    public static IReadOnlyList<HeldDescriptor> StillOpen(IReadOnlyList<HeldDescriptor> held)
    {
        var now = HeldDescriptors().ToDictionary(d => d.Number);
        return held.Where(d => now.TryGetValue(d.Number, out var current) && current.SameObject(d)).ToList();
    }

    private static IEnumerable<HeldDescriptor> HeldDescriptors()
    {
        foreach (var path in Directory.GetFiles("/proc/self/fd"))
        {
            var number = int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture);
            string? target;
            string[] info;
            try
            {
                target = new FileInfo(path).LinkTarget;
                info = File.ReadAllLines($"/proc/self/fdinfo/{number}");
            }
            catch (IOException)
            {
                continue;
            }

            if (target is not null)
            {
                // An epoll descriptor lists one "tfd" line per watched descriptor; only single-valued fields matter here.
                var fields = new Dictionary<string, string>();
                foreach (var parts in info.Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2))
                {
                    fields.TryAdd(parts[0], parts[1].Trim());
                }

                yield return new HeldDescriptor(number, target, fields);
            }
        }
    }
}

/// <summary>An open descriptor of this process, with its /proc/self/fdinfo fields.</summary>
public sealed record HeldDescriptor(int Number, string Target, IReadOnlyDictionary<string, string> Info)
{
    public bool SameObject(HeldDescriptor other) => Target == other.Target
        && Info.GetValueOrDefault("ino") == other.Info.GetValueOrDefault("ino")
        && Info.GetValueOrDefault("tty-index") == other.Info.GetValueOrDefault("tty-index");

    public override string ToString() => $"fd {Number} -> {Target} (ino {Info.GetValueOrDefault("ino")})";
}
