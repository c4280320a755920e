using System.Globalization;
using Broker.Core.Native;

namespace Broker.Core.Processes;

/// <summary>
/// Kills every process of a POSIX session. Interactive shells put each job in its own
/// process group, so killing the leader's group is not enough: the session id (which every
/// descendant keeps unless it calls setsid) finds them all. Processes that detach with
/// setsid escape this; docs/architecture.md records that limit.
/// </summary>
internal static class SessionKiller
{
    private const int SigKill = 9;
    private const int SigStop = 19;

    /// <summary>Kills all processes whose session id is <paramref name="sessionId"/>; returns how many were signalled.</summary>
    public static int KillSession(int sessionId)
    {
        LibC.kill(-sessionId, SigKill);
        var total = 0;
        // Stop first so that nothing forks between the scan and the kill; repeat until a scan finds nobody.
        for (var pass = 0; pass < 20; pass++)
        {
            var members = FindMembers(sessionId);
            if (members.Count == 0)
            {
                break;
            }

            foreach (var pid in members)
            {
                LibC.kill(pid, SigStop);
            }

            foreach (var pid in members)
            {
                LibC.kill(pid, SigKill);
            }

            total += members.Count;
        }

        return total;
    }

    /// <summary>Lists live (non-zombie) processes in a session.</summary>
    public static List<int> FindMembers(int sessionId)
    {
        var result = new List<int>();
        Span<Range> parts = stackalloc Range[5];
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // Fields after the command name, which is parenthesised and may itself contain ')'.
            var close = stat.LastIndexOf(')');
            if (close < 0)
            {
                continue;
            }

            var fields = stat.AsSpan(close + 2);
            var count = fields.Split(parts, ' ');
            if (count < 4)
            {
                continue;
            }

            var state = fields[parts[0]];
            if (state is "Z" or "X")
            {
                continue;
            }

            if (int.TryParse(fields[parts[3]], NumberStyles.None, CultureInfo.InvariantCulture, out var sid) && sid == sessionId)
            {
                result.Add(pid);
            }
        }

        return result;
    }
}
