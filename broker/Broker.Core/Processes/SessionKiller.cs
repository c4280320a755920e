using System.Buffers.Text;
using System.IO.Enumeration;
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
    private const int MaxPasses = 20;

    // The fields up to the session id: pid, the command name (at most 64 bytes, parenthesised), state, ppid, pgrp, session.
    private const int StatPrefixBytes = 512;

    private static readonly EnumerationOptions s_procEntries = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// Kills all processes whose session id is <paramref name="sessionId"/>. Returns true when a scan
    /// found no process that had not been sent SIGKILL already (false only if new processes kept
    /// appearing through every pass). A process with SIGKILL pending runs no more user code and cannot
    /// fork, so the session can start nothing new; it may still be listed while the kernel tears it down,
    /// which on a loaded machine can outlast any number of back-to-back scans.
    /// </summary>
    public static bool KillSession(int sessionId)
    {
        // kill(0) would signal the broker's own group and kill(-1) every process it may signal.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sessionId, 1);
        LibC.kill(-sessionId, SigKill);
        var members = new List<int>();
        var killed = new HashSet<int>();
        // Stop first so that nothing forks between the scan and the kill; repeat until a scan finds nobody new.
        // Every member is signalled again on each pass: a pid that was freed and reused by a member forked
        // since the last scan is killed too.
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            members.Clear();
            CollectMembers(sessionId, members);
            var fresh = 0;
            foreach (var pid in members)
            {
                if (killed.Add(pid))
                {
                    fresh++;
                }
            }

            if (fresh == 0)
            {
                return true;
            }

            foreach (var pid in members)
            {
                LibC.kill(pid, SigStop);
            }

            foreach (var pid in members)
            {
                LibC.kill(pid, SigKill);
            }
        }

        return false;
    }

    /// <summary>Lists live (non-zombie) processes in a session.</summary>
    public static List<int> FindMembers(int sessionId)
    {
        var result = new List<int>();
        CollectMembers(sessionId, result);
        return result;
    }

    // Runs when every session ends, so it reads /proc with plain open/read/close on stack buffers:
    // no strings, no FileStream (whose advisory lock costs two more system calls per file).
    private static void CollectMembers(int sessionId, List<int> members)
    {
        var pids = new FileSystemEnumerable<int>("/proc", static (ref FileSystemEntry entry) => ParsePid(entry.FileName), s_procEntries)
        {
            ShouldIncludePredicate = static (ref FileSystemEntry entry) => entry.IsDirectory && ParsePid(entry.FileName) > 0,
        };
        foreach (var pid in pids)
        {
            if (ReadSessionId(pid) == sessionId)
            {
                members.Add(pid);
            }
        }
    }

    private static int ParsePid(ReadOnlySpan<char> name)
    {
        var pid = 0;
        foreach (var c in name)
        {
            if (c is < '0' or > '9' || pid > int.MaxValue / 10)
            {
                return 0;
            }

            pid = (pid * 10) + (c - '0');
        }

        return pid;
    }

    /// <summary>The session id of a live process, or -1 if it is gone, a zombie, or unreadable.</summary>
    private static unsafe int ReadSessionId(int pid)
    {
        Span<byte> path = stackalloc byte[32];
        "/proc/"u8.CopyTo(path);
        Utf8Formatter.TryFormat(pid, path[6..], out var digits);
        var end = 6 + digits;
        "/stat\0"u8.CopyTo(path[end..]);
        Span<byte> stat = stackalloc byte[StatPrefixBytes];
        int fd;
        fixed (byte* p = path)
        {
            fd = LibC.open(p, LibC.O_RDONLY | LibC.O_CLOEXEC);
        }

        if (fd < 0)
        {
            return -1;
        }

        nint read;
        fixed (byte* p = stat)
        {
            read = LibC.read(fd, p, stat.Length);
        }

        LibC.close(fd);
        return read > 0 ? ParseSessionId(stat[..(int)read]) : -1;
    }

    /// <summary>Reads the session id from the start of a /proc/PID/stat line; -1 for zombies and malformed lines.</summary>
    internal static int ParseSessionId(ReadOnlySpan<byte> stat)
    {
        // The command name is parenthesised and may itself contain ')' and spaces; nothing after it does.
        var close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return -1;
        }

        // state ppid pgrp session
        var fields = stat[(close + 2)..];
        var index = 0;
        foreach (var range in fields.Split((byte)' '))
        {
            var field = fields[range];
            if (index == 0 && (field.Length != 1 || field[0] is (byte)'Z' or (byte)'X'))
            {
                return -1;
            }

            if (index == 3)
            {
                return Utf8Parser.TryParse(field, out int sid, out var used) && used == field.Length ? sid : -1;
            }

            index++;
        }

        return -1;
    }
}
