using System.Text;

namespace Broker.Integration.Tests.Limits;

/// <summary>
/// Deterministic text that looks like logs and listings: it compresses about as well as real output
/// (about 2:1 at zstd level 1), much worse than the repetitive corpus the recorder was tuned on, and
/// holds nothing a masker would take for a secret.
/// </summary>
internal static class OrdinaryText
{
    private static readonly string[] Words =
    [
        "the", "request", "worker", "queue", "started", "finished", "connection", "closed", "opened", "retry",
        "cache", "miss", "hit", "disk", "usage", "report", "daily", "backup", "completed", "user", "logged",
        "in", "out", "service", "restarted", "config", "reloaded", "timeout", "after", "seconds", "batch",
        "processed", "records", "skipped", "invalid", "rows", "table", "index", "rebuilt", "node", "joined",
        "cluster", "leader", "elected", "term", "snapshot", "written", "compaction", "level", "files", "merged",
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
    ];

    private static readonly string[] Levels = ["INFO", "WARN", "DEBUG", "ERROR"];

    /// <summary>Exactly <paramref name="length"/> bytes of ASCII lines.</summary>
    public static byte[] Generate(int length, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(length + 256);
        while (text.Length < length)
        {
            if (random.Next(3) == 0)
            {
                text.Append("-rw-r--r-- 1 ").Append(Words[random.Next(Words.Length)]).Append(' ').Append(random.Next(10_000_000)).Append(' ')
                    .Append(Words[random.Next(Words.Length)]).Append('-').Append(random.Next(1000)).Append(".log\n");
                continue;
            }

            text.Append("2026-12-").Append(random.Next(10, 29)).Append(' ').Append(random.Next(10, 24)).Append(':').Append(random.Next(10, 60))
                .Append(':').Append(random.Next(10, 60)).Append('.').Append(random.Next(100, 1000)).Append(' ').Append(Levels[random.Next(Levels.Length)])
                .Append(" [worker-").Append(random.Next(64)).Append(']');
            for (var i = random.Next(4, 16); i > 0; i--)
            {
                text.Append(' ').Append(Words[random.Next(Words.Length)]);
            }

            text.Append(' ').Append(random.Next(100_000)).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }
}
