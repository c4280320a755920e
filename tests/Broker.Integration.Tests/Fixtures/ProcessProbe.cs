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
    /// Open descriptors of this process of the kinds a session creates (PTYs, pidfds, pipes, sockets), to
    /// catch leaks; files the runtime maps lazily (assemblies, symbols) do not count.
    /// </summary>
    public static int OpenDescriptorCount() => Directory.GetFiles("/proc/self/fd").Count(IsSessionKind);

    private static bool IsSessionKind(string descriptor)
    {
        string? target;
        try
        {
            target = new FileInfo(descriptor).LinkTarget;
        }
        catch (IOException)
        {
            return false;
        }

        return target is not null && (target.StartsWith("/dev/pts/", StringComparison.Ordinal) || target == "/dev/ptmx"
            || target.StartsWith("anon_inode:[pidfd]", StringComparison.Ordinal) || target.StartsWith("pipe:", StringComparison.Ordinal)
            || target.StartsWith("socket:", StringComparison.Ordinal));
    }
}
