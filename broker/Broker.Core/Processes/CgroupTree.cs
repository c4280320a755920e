using System.Globalization;

namespace Broker.Core.Processes;

/// <summary>
/// The broker's own branch of the cgroup v2 hierarchy: a directory below the cgroup the broker runs in, with one
/// child cgroup per target session. A session's program is born inside its cgroup, so every process it ever
/// starts (including those that call setsid or double-fork) is found there and killed with one write to
/// <c>cgroup.kill</c>, whatever the number of processes on the machine.
/// </summary>
/// <remarks>
/// The spawn helper creates each program with <c>clone3(CLONE_INTO_CGROUP)</c>: it is born inside its session's
/// cgroup, so it cannot fork before being placed, and the broker itself never enters a session's cgroup.
/// </remarks>
internal sealed class CgroupTree : IDisposable
{
    private const string BranchPrefix = "broker-";

    /// <summary>
    /// Branches are named after the broker's pid namespace and pid: a broker in another pid namespace (another
    /// container on the same cgroup tree) sees different pids, so it must never judge this broker's branch abandoned.
    /// </summary>
    private static readonly string OwnerPrefix = $"{BranchPrefix}{PidNamespace()}-";

    private static int s_branches;

    // Makes the spare and removes the branch one at a time, so a spare is never made in a branch being removed.
    private readonly Lock _spareGate = new();
    private long _sessions;
    private int _disposed;
    // A session cgroup made ahead, off any call's path, for the next spawn; taken (swapped for null) by exactly one.
    private string? _spare;
    private int _makingSpare;

    private CgroupTree(string home, string branch)
    {
        Home = home;
        Branch = branch;
    }

    /// <summary>The cgroup the broker runs in (the branch's parent).</summary>
    public string Home { get; }

    /// <summary>The directory holding this broker's session cgroups.</summary>
    public string Branch { get; }

    /// <summary>
    /// Sets up the branch under the broker's own cgroup, or says why this host does not allow it. The probe starts a
    /// program in a throwaway cgroup through <paramref name="helper"/>, as every session's program will be started.
    /// </summary>
    public static (CgroupTree? Tree, string? Error) TryCreate(SpawnHelper helper)
    {
        var home = FindOwnCgroup(out var error);
        if (home is null)
        {
            return (null, error);
        }

        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var branch = Path.Combine(home, $"{OwnerPrefix}{pid}-{Interlocked.Increment(ref s_branches)}");
        try
        {
            Directory.CreateDirectory(branch);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot create {branch}: {ex.Message}");
        }

        var tree = new CgroupTree(home, branch);
        if (tree.Probe(helper) is { } problem)
        {
            tree.Dispose();
            return (null, problem);
        }

        tree.RemoveAbandonedBranches();
        tree.MakeSpare();
        return (tree, null);
    }

    /// <summary>The session cgroup made ahead for the next spawn, if there is one now (for tests).</summary>
    internal string? Spare => Volatile.Read(ref _spare);

    /// <summary>
    /// Starts <paramref name="request"/> through <paramref name="helper"/>, born in a new session cgroup: the spare made
    /// ahead when there is one (the <c>mkdir</c> then happens off the call's path), else one made now.
    /// </summary>
    public ContainedSpawn Spawn(SpawnHelper helper, SpawnRequest request, SpawnStdio stdio)
    {
        var path = Interlocked.Exchange(ref _spare, null);
        if (path is null)
        {
            path = NextPath();
            try
            {
                Directory.CreateDirectory(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new(SpawnResult.Failed($"cannot create the session's cgroup: {ex.Message}"), null);
            }
        }

        var cgroup = new SessionCgroup(path);
        var result = helper.Spawn(request, stdio, path);
        // After the spawn: the next spare's mkdir runs while the program does, not beside the helper's round trip.
        MakeSpareLater();
        if (!result.Succeeded)
        {
            // A helper that died between its clone and its answer may have left a program behind: only here.
            cgroup.Kill();
            cgroup.TryRemove(TimeSpan.FromSeconds(2));
            return new(result, null);
        }

        return new(result, cgroup);
    }

    /// <summary>Kills whatever is left in the branch and removes it, the spare with it.</summary>
    public void Dispose()
    {
        lock (_spareGate)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _spare = null;
                RemoveBranch(Branch);
            }
        }
    }

    private string NextPath() => Path.Combine(Branch, "s" + Interlocked.Increment(ref _sessions).ToString(CultureInfo.InvariantCulture));

    /// <summary>Makes the next spare on the thread pool, unless one is being made.</summary>
    private void MakeSpareLater()
    {
        if (Interlocked.Exchange(ref _makingSpare, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static tree => tree.MakeSpare(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// Makes a spare session cgroup when there is none. A spare is an empty directory in this broker's branch: it goes
    /// with the branch at shutdown, and a broker that dies leaves it in its branch, which the next broker's start
    /// removes with the rest (<see cref="RemoveAbandonedBranches"/>).
    /// </summary>
    private void MakeSpare()
    {
        lock (_spareGate)
        {
            try
            {
                if (Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _spare) is null)
                {
                    var path = NextPath();
                    Directory.CreateDirectory(path);
                    Volatile.Write(ref _spare, path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No spare: the next spawn makes its cgroup itself, and reports why if it cannot either.
            }
            finally
            {
                Volatile.Write(ref _makingSpare, 0);
            }
        }
    }

    /// <summary>The cgroup v2 directory this process belongs to, from /proc/self/cgroup and /proc/self/mountinfo.</summary>
    internal static string? FindOwnCgroup(out string? error)
    {
        string? own = null;
        try
        {
            own = File.ReadAllLines("/proc/self/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        }
        catch (IOException ex)
        {
            error = $"cannot read /proc/self/cgroup: {ex.Message}";
            return null;
        }

        if (own is null)
        {
            error = "this process is in no cgroup v2 hierarchy";
            return null;
        }

        var directory = Locate(own, File.ReadLines("/proc/self/mountinfo"));
        error = directory is null ? $"no cgroup v2 mount shows this process's cgroup {own}" : null;
        return directory;
    }

    /// <summary>
    /// The directory of cgroup <paramref name="own"/> (a path from /proc/self/cgroup) under the cgroup2 mount that
    /// shows it, or null when none does.
    /// </summary>
    internal static string? Locate(string own, IEnumerable<string> mountinfo)
    {
        // A process outside its cgroup namespace's root sees "/.." in its path: no mount it can see holds its cgroup.
        if (!own.StartsWith('/') || own.Split('/').Contains(".."))
        {
            return null;
        }

        foreach (var line in mountinfo)
        {
            if (ParseCgroup2Mount(line) is not { } mount)
            {
                continue;
            }

            // A mount of part of the hierarchy (a container's) shows its own root: the process's path is below it.
            var root = mount.Root.TrimEnd('/');
            if (own == mount.Root || own.StartsWith(root + "/", StringComparison.Ordinal))
            {
                var below = own[root.Length..].TrimStart('/');
                return below.Length == 0 ? mount.MountPoint : Path.Combine(mount.MountPoint, below);
            }
        }

        return null;
    }

    /// <summary>The root and mount point of a cgroup2 line of /proc/self/mountinfo; null for other file systems.</summary>
    internal static (string Root, string MountPoint)? ParseCgroup2Mount(string line)
    {
        var separator = line.IndexOf(" - ", StringComparison.Ordinal);
        if (separator < 0)
        {
            return null;
        }

        var after = line[(separator + 3)..].Split(' ');
        var before = line[..separator].Split(' ');
        if (after.Length < 1 || after[0] != "cgroup2" || before.Length < 5)
        {
            return null;
        }

        return (Unescape(before[3]), Unescape(before[4]));
    }

    // mountinfo writes space, tab, newline and backslash in paths as three octal digits after a backslash.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var result = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field[(i + 1)..(i + 4)].All(c => c is >= '0' and <= '7'))
            {
                result.Append((char)Convert.ToInt32(field[(i + 1)..(i + 4)], 8));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }

        return result.ToString();
    }

    /// <summary>
    /// Checks on a throwaway cgroup that <c>cgroup.kill</c> exists and that the spawn helper can start a program inside
    /// a session's cgroup (it starts itself with <c>--exit</c> there).
    /// </summary>
    private unsafe string? Probe(SpawnHelper helper)
    {
        var probe = Path.Combine(Branch, "probe");
        try
        {
            Directory.CreateDirectory(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot create a cgroup under {Branch}: {ex.Message}";
        }

        try
        {
            if (!File.Exists(Path.Combine(probe, "cgroup.kill")))
            {
                return "this kernel has no cgroup.kill (Linux 5.14 or later is needed)";
            }

            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            var fd = (int)devNull.DangerousGetHandle();
            var request = new SpawnRequest { Path = helper.ExecutablePath, Arguments = [helper.ExecutablePath, "--exit"], Environment = new Dictionary<string, string>() };
            var started = helper.Spawn(request, new SpawnStdio.Pipes(fd, fd, fd), probe);
            if (!started.Succeeded)
            {
                return $"programs cannot be started in a session's cgroup: {started.Error}";
            }

            int status;
            Native.LibC.waitpid(started.ProcessId, &status, 0);
            return Native.LibC.DecodeWaitStatus(status) == (0, 0) ? null : "the probe started in a session's cgroup did not exit cleanly";
        }
        finally
        {
            new SessionCgroup(probe).TryRemove(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>
    /// A broker that died without cleaning up leaves its branch behind, with its sessions' processes still
    /// running: they are killed and the branch removed. Branches of live brokers are left alone.
    /// </summary>
    private void RemoveAbandonedBranches()
    {
        IEnumerable<string> branches;
        try
        {
            branches = Directory.EnumerateDirectories(Home, OwnerPrefix + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var branch in branches)
        {
            var name = Path.GetFileName(branch.AsSpan())[OwnerPrefix.Length..];
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                && owner != Environment.ProcessId && !Directory.Exists($"/proc/{owner}"))
            {
                RemoveBranch(branch);
            }
        }
    }

    // The inode of /proc/self/ns/pid ("pid:[4026531836]") names the pid namespace.
    private static string PidNamespace()
    {
        try
        {
            var link = new FileInfo("/proc/self/ns/pid").LinkTarget ?? "";
            var digits = new string(link.Where(char.IsAsciiDigit).ToArray());
            return digits.Length > 0 ? digits : "0";
        }
        catch (IOException)
        {
            return "0";
        }
    }

    private static void RemoveBranch(string branch)
    {
        try
        {
            foreach (var session in Directory.EnumerateDirectories(branch))
            {
                var cgroup = new SessionCgroup(session);
                cgroup.Kill();
                cgroup.TryRemove(TimeSpan.FromSeconds(2));
            }

            Directory.Delete(branch);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still busy or not ours to remove: an empty cgroup directory costs nothing, and the next start retries.
        }
    }
}

/// <summary>A spawn's result and, when cgroups are in use, the cgroup its program was born in.</summary>
internal readonly record struct ContainedSpawn(SpawnResult Result, SessionCgroup? Cgroup);
