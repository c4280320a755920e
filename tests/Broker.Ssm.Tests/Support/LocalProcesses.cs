namespace Broker.Ssm.Tests.Support;

/// <summary>The emulated instance is this machine: a test can look for the programs its sessions run.</summary>
internal static class LocalProcesses
{
    /// <summary>How many processes have exactly this command line (arguments NUL-separated, as in /proc/PID/cmdline).</summary>
    public static async Task<int> CountAsync(string cmdline)
    {
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _))
            {
                continue;
            }

            try
            {
                if (await File.ReadAllTextAsync(Path.Combine(dir, "cmdline")) == cmdline)
                {
                    count++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return count;
    }

    /// <summary>Kills every process that has exactly this command line (a test's leftovers that left the session).</summary>
    public static async Task KillAsync(string cmdline)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (await File.ReadAllTextAsync(Path.Combine(dir, "cmdline")) == cmdline)
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // The process ended while we looked.
            }
        }
    }

    /// <summary>
    /// Polls until no process has this command line: a program killed with its session's leader is not the leader's child
    /// to reap, so it may still be on its way out (killed, not yet exited) when the session is reported ended.
    /// </summary>
    public static async Task WaitForGoneAsync(string cmdline)
    {
        using var deadline = new CancellationTokenSource(Waits.Step);
        while (await CountAsync(cmdline) != 0)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Polls until a process with this command line exists.</summary>
    public static async Task WaitForAsync(string cmdline)
    {
        using var deadline = new CancellationTokenSource(Waits.Step);
        while (await CountAsync(cmdline) == 0)
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
