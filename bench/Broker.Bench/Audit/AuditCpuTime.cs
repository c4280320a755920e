using Broker.Server.Audit;
using Microsoft.Extensions.Logging.Abstractions;
using Recorder;

namespace Broker.Bench.Audit;

/// <summary>
/// <c>audit-cpu</c>: what the audit log costs a session, in the calling thread's CPU time (a shared machine's wall clock
/// counts other processes): projecting a decided command and posting it to a queue with room, posting to a full queue
/// (the drop path), and the writer's cost per event of storing batches of 256 in SQLite (on the writer's thread, off
/// the session's path). Each figure is the median of 15 runs, interleaved in one process.
/// </summary>
internal static class AuditCpuTime
{
    private const int Events = 20_000;
    private const int Runs = 15;

    public static void Run()
    {
        var header = new RecordingHeader
        {
            SessionId = "s-0190000000000000000000000000",
            Subject = "agent-bench",
            Issuer = "broker-dev",
            Roles = ["agent"],
            Target = "local",
            Kind = "interactive",
            Columns = 80,
            Rows = 24,
            Term = "xterm-256color",
            BrokerVersion = "bench",
            StartedAt = DateTimeOffset.UnixEpoch,
        };
        var command = new CommandRecord { Text = "git log --oneline -n 20 -- src/[MASKED:github-token]", Decision = "allow", RuleId = "git-read", Reason = "read-only git" };
        var directory = Directory.CreateTempSubdirectory("audit-bench-").FullName;
        try
        {
            using var store = new SqliteAuditLog(Path.Combine(directory, SqliteAuditLog.FileName));
            var post = new List<double>();
            var drop = new List<double>();
            var write = new List<double>();
            for (var run = 0; run < Runs; run++)
            {
                post.Add(PostNs(store, header, command, full: false));
                drop.Add(PostNs(store, header, command, full: true));
                write.Add(StoreNs(store, header, command));
            }

            Console.WriteLine($"audit-cpu: {Runs} interleaved runs of {Events} events, thread CPU time, median ns per event");
            Console.WriteLine($"  project + post (queue has room)  {Median(post),8:0}");
            Console.WriteLine($"  project + post (queue full: drop) {Median(drop),8:0}");
            Console.WriteLine($"  store in SQLite, batches of 256   {Median(write),8:0}   (writer thread, off the session's path)");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static double PostNs(SqliteAuditLog store, RecordingHeader header, CommandRecord command, bool full)
    {
        // The writer is not started: the queue keeps what is posted (room), or is filled first (full).
        using var trail = new AuditTrail(store, "bench", TimeProvider.System, null, TimeSpan.FromHours(1), NullLogger<AuditTrail>.Instance, full ? 1 : Events);
        if (full)
        {
            trail.Post(AuditProjection.Command(header, 0, command));
        }

        var start = ThreadCpuClock.Nanoseconds();
        for (var i = 1; i <= Events; i++)
        {
            trail.Post(AuditProjection.Command(header, i, command));
        }

        return (ThreadCpuClock.Nanoseconds() - start) / Events;
    }

    private static double StoreNs(SqliteAuditLog store, RecordingHeader header, CommandRecord command)
    {
        var batch = Enumerable.Range(0, 256).Select(i => AuditProjection.Command(header, i, command) with { At = DateTimeOffset.UtcNow, Replica = "bench" }).ToList();
        var batches = Events / batch.Count;
        var start = ThreadCpuClock.Nanoseconds();
        for (var i = 0; i < batches; i++)
        {
            // SQLite's async calls complete synchronously: the work is on this thread.
            store.AppendAsync(batch, CancellationToken.None).GetAwaiter().GetResult();
        }

        var ns = (ThreadCpuClock.Nanoseconds() - start) / (batches * batch.Count);
        store.DeleteBeforeAsync(DateTimeOffset.MaxValue, CancellationToken.None).GetAwaiter().GetResult();
        return ns;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
