namespace Broker.Core.Processes;

/// <summary>The cgroup one target session's processes were born in.</summary>
internal sealed class SessionCgroup
{
    private static readonly TimeSpan s_removalPatience = TimeSpan.FromSeconds(10);

    private int _removed;

    public SessionCgroup(string path) => Path = path;

    public string Path { get; }

    /// <summary>
    /// Sends SIGKILL to every process in the cgroup at once (the kernel walks the cgroup; nothing can fork past it).
    /// True when the kill was sent or there is nothing left to kill; false when the caller must fall back.
    /// </summary>
    public bool Kill()
    {
        if (Volatile.Read(ref _removed) != 0)
        {
            return true;
        }

        // The broker never enters a session's cgroup (its programs are born there through the spawn helper), so
        // this kill cannot reach it.
        var error = CgroupFiles.Write(System.IO.Path.Combine(Path, "cgroup.kill"), "1");
        return error is null || !Directory.Exists(Path);
    }

    /// <summary>
    /// Kills what is left and removes the cgroup once the kernel has let go of the last process: processes killed a
    /// moment ago may still be exiting. Gives up after a while (a process stuck in uninterruptible sleep), leaving an
    /// empty-to-be directory that a later broker start removes. True when the cgroup is gone.
    /// </summary>
    public async Task<bool> RemoveAsync()
    {
        var deadline = Environment.TickCount64 + (long)s_removalPatience.TotalMilliseconds;
        var delay = 1;
        while (!TryRemove())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            Kill();
            await Task.Delay(delay).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 100);
        }

        return true;
    }

    /// <summary>Removes the cgroup if it is empty, waiting at most <paramref name="patience"/> for it to empty.</summary>
    public bool TryRemove(TimeSpan patience = default)
    {
        var deadline = Environment.TickCount64 + (long)patience.TotalMilliseconds;
        while (true)
        {
            try
            {
                Directory.Delete(Path);
                Volatile.Write(ref _removed, 1);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                Volatile.Write(ref _removed, 1);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (Environment.TickCount64 >= deadline)
                {
                    return false;
                }

                Thread.Sleep(10);
            }
        }
    }
}
