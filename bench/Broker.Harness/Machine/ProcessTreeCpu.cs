using System.Globalization;

namespace Broker.Harness.Machine;

/// <summary>
/// CPU time (user + system, seconds) of a server process together with every child it has reaped, from
/// <c>/proc/PID/stat</c> (utime, stime, cutime, cstime). A server that waits for the processes it serves a run
/// with (sshd for its per-connection sshd-session and the command under it, the broker for the programs the
/// spawn helper clones into it as its own children) has, once the run is over, their CPU in this sum too.
/// </summary>
internal static class ProcessTreeCpu
{
    // USER_HZ, which /proc reports times in: 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    /// <summary>The process's own and its reaped children's CPU seconds; NaN when it is gone.</summary>
    public static double Seconds(int processId)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return double.NaN;
        }

        // Fields after the command name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17), counted from 1 with the pid.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = 0;
        for (var field = 11; field <= 14; field++)
        {
            ticks += long.Parse(fields[field], CultureInfo.InvariantCulture);
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>
    /// Samples <paramref name="seconds"/> (<see cref="Seconds"/> or <see cref="CgroupCpu.Seconds"/>) until it stops moving: what a server does right after its client has gone (sshd
    /// reaping the connection's processes, the broker sealing the recording and cleaning the session's account)
    /// belongs to that run. Gives up moving on after <paramref name="limit"/>.
    /// </summary>
    public static async Task<double> SettledSecondsAsync(Func<double> seconds, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        var last = seconds();
        var unchanged = 0;
        while (unchanged < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            var now = seconds();
            unchanged = now == last ? unchanged + 1 : 0;
            last = now;
        }

        return last;
    }
}
