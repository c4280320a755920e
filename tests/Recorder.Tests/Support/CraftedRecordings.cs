using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Recorder.Format;

namespace Recorder.Tests.Support;

/// <summary>
/// The recordings of issue 15, built the way an attacker would build them: validly signed ones whose
/// text an agent controlled, and crafted files no broker wrote. Deterministic except for signatures,
/// so the committed regression files can be checked against this code.
/// </summary>
internal static class CraftedRecordings
{
    /// <summary>A clipboard write, a title change, a line overwrite, a UTF-8 encoded CSI and a bidi override.</summary>
    public const string Hostile = "\u001b]52;c;cHduZWQ=\u0007\u001b]0;owned\u0007\r\u001b[2K\u009b2J\u202egnp.exe";

    /// <summary>The text of a denied command that would make the auditor's screen lie about the decision.</summary>
    public const string FakeDecision = "rm -rf /\r\u001b[2K#1    +00:00:00.000  allow   exit 0    ls";

    private static readonly RecordingWriterOptions OneSegment = TestRecordings.OneSegment;

    /// <summary>As <see cref="TestRecordings.OneSegment"/>, in segments of 4 KiB.</summary>
    private static readonly RecordingWriterOptions SmallSegments = OneSegment with { SegmentBytes = 4096 };

    public static IReadOnlyList<(string Name, Func<RecordingSigningKey, Task<byte[]>> Build)> All { get; } =
    [
        ("denied-command-with-escapes", DeniedCommandWithEscapesAsync),
        ("hostile-text-in-every-field", HostileEveryFieldAsync),
        ("zstd-segments-decompressing-to-gigabytes", key => ZstdBombAsync(key, segments: 120)),
        ("segment-larger-than-declared", SegmentLargerThanDeclaredAsync),
        ("record-count-0x7fffffff", key => RecordCountAsync(key, int.MaxValue)),
        ("record-count-300-million", key => RecordCountAsync(key, 300_000_000)),
        ("output-at-offset-2-pow-62", OutputAtOffset2Pow62Async),
        ("bad-record-mid-segment", BadRecordMidSegmentAsync),
        ("offsets-going-backwards", OffsetsGoingBackwardsAsync),
        ("oversized-structured-record", OversizedStructuredRecordAsync),
    ];

    /// <summary>A sealed, signed session in which an agent's denied command carries escape sequences (exec --script with real ESC bytes).</summary>
    public static Task<byte[]> DeniedCommandWithEscapesAsync(RecordingSigningKey key) => TestRecordings.WriteAsync(key, DeniedCommandWithEscapes, OneSegment);

    private static void DeniedCommandWithEscapes(RecordingWriter writer, FakeTimeProvider time)
    {
        writer.AppendOutput(OutputStream.Terminal, "$ "u8);
        time.Advance(TimeSpan.FromMilliseconds(300));
        var denied = writer.AppendCommand(new CommandRecord { Text = $"rm {Hostile}", Decision = "deny", RuleId = "file-changes", Reason = "changes files" });
        writer.AppendOutput(OutputStream.Terminal, Encoding.UTF8.GetBytes($"broker: deny by rule file-changes\r\n$ {Hostile}\r\n"));
        time.Advance(TimeSpan.FromMilliseconds(300));
        writer.AppendCommand(new CommandRecord { Text = FakeDecision, Decision = "deny", Reason = "no rule allows it" });
        writer.AppendCommandExit(denied, 126);
        writer.AppendExit(0, 0, "shell exited");
    }

    /// <summary>A sealed, signed recording with hostile text in every text field the format has.</summary>
    public static async Task<byte[]> HostileEveryFieldAsync(RecordingSigningKey key)
    {
        var header = TestRecordings.Header() with
        {
            SessionId = "s-" + Hostile,
            Subject = "agent" + Hostile,
            Issuer = "https://idp" + Hostile,
            Roles = ["dev" + Hostile, "ops\u001b[8m"],
            Target = "web" + Hostile,
            Kind = "shell" + Hostile,
            Term = "xterm\u001b]2;t\u0007",
            BrokerVersion = "1.0" + Hostile,
        };
        return await TestRecordings.WriteAsync(key, (writer, time) =>
        {
            writer.AppendOutput(OutputStream.Terminal, Encoding.UTF8.GetBytes($"output {Hostile}\r\n"));
            writer.AppendInput(Encoding.UTF8.GetBytes($"typed {Hostile}\r"));
            time.Advance(TimeSpan.FromMilliseconds(10));
            var number = writer.AppendCommand(new CommandRecord { Text = "cmd " + Hostile, FactsJson = "{\"argv\":[\"\\u001b]52;c;eA==\\u0007\"]}", Decision = "review" + Hostile, RuleId = "rule" + Hostile, Reason = "reason" + Hostile });
            writer.AppendApproval(new ApprovalRecord { Kind = ApprovalEventKind.Requested, CommandNumber = number, ApprovalId = "ap" + Hostile });
            writer.AppendApproval(new ApprovalRecord { Kind = ApprovalEventKind.Decided, CommandNumber = number, ApprovalId = "ap" + Hostile, Approver = "alice" + Hostile, Decision = "approve" + Hostile, Reason = "why" + Hostile });
            writer.AppendNotice("kind" + Hostile, "message" + Hostile);
            writer.AppendMaskingCounts(new Dictionary<string, long> { ["detector" + Hostile] = 1 });
            writer.AppendMarker("marker" + Hostile);
            writer.AppendCommandExit(number, 3);
            writer.AppendExit(1, 0, "terminated by op: " + Hostile);
        }, OneSegment, header: header);
    }

    /// <summary>
    /// Segments that each decompress to the format's 16 MiB maximum of valid output records (their
    /// prefixes honest), a few hundred bytes each on disk: gigabytes from a file of a few hundred KB.
    /// </summary>
    public static async Task<byte[]> ZstdBombAsync(RecordingSigningKey key, int segments)
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(key, (writer, _) => writer.AppendOutput(OutputStream.Terminal, "$ "u8), OneSegment, seal: false));
        var payload = new byte[1_048_000];
        payload.AsSpan().Fill((byte)'a');
        payload[0] = (byte)OutputStream.Terminal;
        var records = Enumerable.Range(0, 16).Select(_ => RecordingFile.EncodeRecord((byte)RecordType.Output, 1000, payload)).ToList();
        var segment = RecordingFile.EncodeSegment(1, records, level: 19);
        for (var i = 0; i < segments; i++)
        {
            // The same compressed records each time; only the prefix's first record moves on.
            var body = segment.Body.ToArray();
            BinaryPrimitives.WriteInt64LittleEndian(body, 1 + (i * records.Count));
            file.Frames.Add(new RawFrame(FrameKind.Segment, 0, body));
        }

        return file.ToBytes();
    }

    /// <summary>A segment that declares 4 KiB but decompresses to 16 MiB: damage, reported, not obeyed.</summary>
    public static async Task<byte[]> SegmentLargerThanDeclaredAsync(RecordingSigningKey key)
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(key, TestRecordings.ShellSession, OneSegment, seal: false));
        var payload = new byte[1_048_000];
        payload[0] = (byte)OutputStream.Terminal;
        var records = Enumerable.Range(0, 16).Select(_ => RecordingFile.EncodeRecord((byte)RecordType.Output, 9_000_000_000, payload)).ToList();
        var next = file.Segments.Sum(s => RecordingFile.DecodeSegment(s).Records.Count);
        file.Frames.Add(RecordingFile.EncodeSegment(next, records, level: 19, declaredCount: 1, declaredLength: 4096));
        return file.ToBytes();
    }

    /// <summary>A shell session whose segments after the first (which holds the first command) claim <paramref name="count"/> records.</summary>
    public static async Task<byte[]> RecordCountAsync(RecordingSigningKey key, int count)
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(key, WithBanner, SmallSegments));
        foreach (var segment in file.Segments.Skip(1))
        {
            BinaryPrimitives.WriteInt32LittleEndian(segment.Body.AsSpan(8), count);
        }

        return file.ToBytes();
    }

    /// <summary>A sealed, signed recording whose last output comes 2^62 ns (146 years) after the start.</summary>
    public static Task<byte[]> OutputAtOffset2Pow62Async(RecordingSigningKey key) => TestRecordings.WriteAsync(key, (writer, time) =>
    {
        writer.AppendOutput(OutputStream.Terminal, "$ "u8);

        // Written before the clock jumps, so the timers that fire during the jump find nothing to do.
        writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout).GetAwaiter().GetResult();
        time.Advance(TimeSpan.FromTicks((1L << 62) / 100));
        writer.AppendOutput(OutputStream.Terminal, "late\r\n"u8);
        writer.AppendExit(0, 0, "shell exited");
    }, OncePerCentury);

    /// <summary>Timers that fire about a thousand times over 146 years of fake time, not billions (49 days is the longest timer).</summary>
    private static readonly RecordingWriterOptions OncePerCentury = new() { FlushInterval = TimeSpan.FromDays(49), CheckpointInterval = TimeSpan.FromDays(49) };

    /// <summary>A shell session with one record in the middle of its only segment damaged (a length that runs past the segment).</summary>
    public static async Task<byte[]> BadRecordMidSegmentAsync(RecordingSigningKey key)
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(key, TestRecordings.ShellSession, OneSegment));
        var segment = file.Segments.First();
        var (first, records) = RecordingFile.DecodeSegment(segment);

        // Record 5 becomes a command whose JSON does not parse: records 0..4 are intact.
        records[5] = RecordingFile.EncodeRecord((byte)RecordType.Command, 2_820_000_000, "{\"number\":2,\"text\":"u8);
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);
        return file.ToBytes();
    }

    /// <summary>A segment whose records' time offsets go backwards (records reordered).</summary>
    public static async Task<byte[]> OffsetsGoingBackwardsAsync(RecordingSigningKey key)
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(key, TestRecordings.ShellSession, OneSegment));
        var segment = file.Segments.First();
        var (first, records) = RecordingFile.DecodeSegment(segment);
        (records[8], records[12]) = (records[12], records[8]);
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);
        return file.ToBytes();
    }

    /// <summary>A notice record of 2 MiB: longer than any structured record the writer allows.</summary>
    public static async Task<byte[]> OversizedStructuredRecordAsync(RecordingSigningKey key)
    {
        var file = RecordingFile.Parse(await TestRecordings.WriteAsync(key, TestRecordings.ShellSession, OneSegment, seal: false));
        var next = file.Segments.Sum(s => RecordingFile.DecodeSegment(s).Records.Count);
        var json = Encoding.UTF8.GetBytes($"{{\"kind\":\"info\",\"message\":\"{new string('x', 2 * 1024 * 1024)}\"}}");
        file.Frames.Add(RecordingFile.EncodeSegment(next, [RecordingFile.EncodeRecord((byte)RecordType.Notice, 9_000_000_000, json)], level: 19));
        return file.ToBytes();
    }

    /// <summary>A banner of 3600 bytes, then the shell session: the first segment of 4 KiB ends after the first command.</summary>
    private static void WithBanner(RecordingWriter writer, FakeTimeProvider time)
    {
        writer.AppendOutput(OutputStream.Terminal, Encoding.UTF8.GetBytes(new string('=', 3600) + "\r\n"));
        TestRecordings.ShellSession(writer, time);
    }

    /// <summary>
    /// A legitimate, sealed recording of one line of <paramref name="length"/> bytes of 'a' (the
    /// issue's `head -c 1100000000 /dev/zero | tr '\0' a`), written to <paramref name="path"/> in
    /// writes of 64 KiB as a PTY delivers them. A few hundred KB on disk.
    /// </summary>
    public static async Task WriteSingleLineAsync(string path, long length, RecordingSigningKey key)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var writer = RecordingWriter.CreateFile(path, TestRecordings.Header("s-long-line"), key, new RecordingWriterOptions(), time);
        await using (writer)
        {
            writer.AppendOutput(OutputStream.Terminal, "$ "u8);
            writer.AppendCommand(new CommandRecord { Text = "head -c 1100000000 /dev/zero | tr '\\0' a", Decision = "allow", RuleId = "read-only" });
            var chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'a');
            for (var written = 0L; written < length; written += chunk.Length)
            {
                writer.AppendOutput(OutputStream.Terminal, chunk.AsSpan(0, (int)Math.Min(chunk.Length, length - written)));
                if (written % (16 * 1024 * 1024) == 0)
                {
                    time.Advance(TimeSpan.FromMilliseconds(10));

                    // The writer never blocks a session: keep it from falling behind by letting it flush.
                    await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
                }
            }

            writer.AppendOutput(OutputStream.Terminal, "\r\n$ "u8);
            writer.AppendExit(0, 0, "shell exited");
            await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
        }
    }
}
