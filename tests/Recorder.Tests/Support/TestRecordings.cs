using Microsoft.Extensions.Time.Testing;
using Recorder;

namespace Recorder.Tests.Support;

/// <summary>Builds real recordings in memory with a fake clock.</summary>
internal static class TestRecordings
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// No timed flush or checkpoint during a test session: segments are cut by size alone and
    /// checkpoints written only at the end, so a session is one segment and the same on every run
    /// (signatures aside).
    /// </summary>
    public static readonly RecordingWriterOptions OneSegment = new() { FlushInterval = TimeSpan.FromHours(1), CheckpointInterval = TimeSpan.FromHours(1) };

    public static RecordingHeader Header(string sessionId = "s-1") => new()
    {
        SessionId = sessionId,
        Subject = "agent@example.com",
        Issuer = "https://idp.example.com",
        Roles = ["dev", "ops"],
        Target = "web-01",
        Kind = "shell",
        Columns = 100,
        Rows = 30,
        Term = "xterm-256color",
        BrokerVersion = "1.2.3",
        StartedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
    };

    /// <summary>Writes a recording with <paramref name="script"/>, seals it (unless told not to) and returns its bytes.</summary>
    public static async Task<byte[]> WriteAsync(
        RecordingSigningKey key,
        Action<RecordingWriter, FakeTimeProvider> script,
        RecordingWriterOptions? options = null,
        bool seal = true,
        string sessionId = "s-1",
        RecordingHeader? header = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var destination = new MemoryStream();
        var writer = RecordingWriter.Create(destination, header ?? Header(sessionId), key, (options ?? new RecordingWriterOptions()) with { LeaveOpen = true }, time);
        await using (writer)
        {
            script(writer, time);
            if (seal)
            {
                await writer.SealAsync(CancellationToken.None).WaitAsync(Timeout);
            }
        }

        writer.Fault.Should().BeNull();
        return destination.ToArray();
    }

    /// <summary>A short shell session: a prompt, commands with decisions, an approval, output, a resize and an exit.</summary>
    public static void ShellSession(RecordingWriter writer, FakeTimeProvider time)
    {
        writer.AppendOutput(OutputStream.Terminal, "$ "u8);
        time.Advance(TimeSpan.FromMilliseconds(800));
        writer.AppendInput("ls -la\r"u8);
        var ls = writer.AppendCommand(new CommandRecord { Text = "ls -la", FactsJson = """{"argv":["ls","-la"]}""", Decision = "allow", RuleId = "read-only" });
        time.Advance(TimeSpan.FromMilliseconds(20));
        writer.AppendOutput(OutputStream.Terminal, "total 8\r\n-rw-r--r-- 1 root root 42 notes.txt\r\n$ "u8);
        writer.AppendCommandExit(ls, 0);
        time.Advance(TimeSpan.FromSeconds(2));
        writer.AppendResize(120, 40);
        writer.AppendInput("rm -rf /var/log\r"u8);
        var rm = writer.AppendCommand(new CommandRecord { Text = "rm -rf /var/log", Decision = "review", RuleId = "destructive", Reason = "deletes files" });
        writer.AppendApproval(new ApprovalRecord { Kind = ApprovalEventKind.Requested, CommandNumber = rm, ApprovalId = "ap-7" });
        time.Advance(TimeSpan.FromSeconds(5));
        writer.AppendApproval(new ApprovalRecord { Kind = ApprovalEventKind.Decided, CommandNumber = rm, ApprovalId = "ap-7", Approver = "alice@example.com", Decision = "reject", Reason = "not today" });
        writer.AppendNotice("denied", "command #2 was rejected by alice@example.com");
        writer.AppendOutput(OutputStream.Terminal, "broker: command rejected\r\n$ "u8);
        writer.AppendMaskingCounts(new Dictionary<string, long> { ["aws-access-key"] = 2 });
        writer.AppendMarker("end of work");
        time.Advance(TimeSpan.FromSeconds(1));
        writer.AppendInput("exit\r"u8);
        writer.AppendCommand(new CommandRecord { Text = "exit", Decision = "allow", RuleId = "builtin" });
        writer.AppendExit(0, 0, "shell exited");
    }

    public static async Task<List<RecordedEvent>> ReadAllAsync(byte[] recording)
    {
        using var reader = RecordingReader.Open(new MemoryStream(recording));
        var events = new List<RecordedEvent>();
        await foreach (var recorded in reader.ReadEventsAsync().WithCancellation(CancellationToken.None))
        {
            events.Add(recorded);
        }

        return events;
    }

    public static VerificationResult Verify(byte[] recording, RecordingSigningKey key) =>
        RecordingVerifier.Verify(new MemoryStream(recording), key.ExportPublicKeyPem());
}
