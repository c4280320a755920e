using System.Text;
using System.Text.Json;
using Recorder.Tests.Support;

namespace Recorder.Tests;

public sealed class ExportTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("recorder-export-");

    public void Dispose()
    {
        _key.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Asciicast_v2_played_by_asciinema_cat_reproduces_the_output_bytes()
    {
        var (recording, output) = await TerminalSessionAsync();
        var cast = await ExportAsync(recording, ExportFormat.AsciicastV2, "session.cast");
        var played = Path.Combine(_directory.FullName, "played.bin");

        // asciinema cat insists on a terminal at /dev/tty; script(1) gives it one, stdout goes to a file untouched.
        var (exitCode, _, error) = await ExternalProcess.RunAsync("script", "-qec", $"asciinema cat '{cast}' > '{played}'", "/dev/null");

        exitCode.Should().Be(0, error);
        (await File.ReadAllBytesAsync(played)).Should().Equal(output);
        var lines = await File.ReadAllLinesAsync(cast);
        lines.Should().Contain(l => l.Contains("\"r\",\"120x40\"", StringComparison.Ordinal));
        lines.Should().Contain(l => l.Contains("\"m\",\"#2 $ rm -rf /var/log [review, rule destructive: deletes files]\"", StringComparison.Ordinal));
        lines.Should().Contain(l => l.Contains("\"m\",\"exit 3: shell exited\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Asciicast_v3_parsed_by_asciinema_player_has_output_resizes_markers_and_exit_at_the_recorded_times()
    {
        var (recording, output) = await TerminalSessionAsync();
        var cast = await ExportAsync(recording, ExportFormat.AsciicastV3, "session.cast");

        var (exitCode, json, error) = await ExternalProcess.RunAsync("node", Path.Combine(ExternalProcess.FixturesDirectory, "asciicast", "parse.mjs"), cast);

        exitCode.Should().Be(0, error);
        using var parsed = JsonDocument.Parse(json);
        parsed.RootElement.GetProperty("cols").GetInt32().Should().Be(100);
        parsed.RootElement.GetProperty("rows").GetInt32().Should().Be(30);
        var events = parsed.RootElement.GetProperty("events").EnumerateArray()
            .Select(e => (Ms: e[0].GetDouble(), Code: e[1].GetString()!, Data: e[2].ValueKind == JsonValueKind.String ? e[2].GetString()! : e[2].GetRawText()))
            .ToList();
        string.Concat(events.Where(e => e.Code == "o").Select(e => e.Data)).Should().Be(Encoding.UTF8.GetString(output));
        events.Should().Contain(e => e.Code == "r" && e.Data == "120x40");
        events.Should().Contain(e => e.Code == "m" && e.Data.StartsWith("#1 $ ls -la [allow", StringComparison.Ordinal));
        events.Should().Contain(e => e.Code == "m" && e.Data.Contains("reject by alice@example.com", StringComparison.Ordinal));
        events[^1].Code.Should().Be("x");
        events[^1].Data.Should().Be("3");

        var recorded = await TestRecordings.ReadAllAsync(recording);
        var resize = recorded.OfType<ResizeEvent>().Single();
        events.Single(e => e.Code == "r").Ms.Should().BeApproximately(resize.OffsetNanoseconds / 1e6, 0.001);
        events[^1].Ms.Should().BeApproximately(recorded.OfType<ExitEvent>().Single().OffsetNanoseconds / 1e6, 0.001);
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_become_replacement_characters_in_a_valid_asciicast()
    {
        var recording = await TestRecordings.WriteAsync(_key, (writer, time) =>
        {
            writer.AppendOutput(OutputStream.Terminal, [0x61, 0xFF, 0xC3]);
            time.Advance(TimeSpan.FromMilliseconds(5));
            writer.AppendOutput(OutputStream.Terminal, [0xA9, 0x62, 0xE2, 0x82]);
        });

        var cast = await ExportAsync(recording, ExportFormat.AsciicastV2, "bad.cast");

        var lines = await File.ReadAllLinesAsync(cast);
        var text = string.Concat(lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement[2].GetString()));
        text.Should().Be("a\uFFFDéb\uFFFD");
    }

    [Fact]
    public async Task Text_export_shows_timestamped_commands_decisions_approvals_and_plain_output()
    {
        var recording = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession);

        var text = await File.ReadAllTextAsync(await ExportAsync(recording, ExportFormat.Text, "session.txt"));

        text.Should().Contain("# session s-1");
        text.Should().Contain("[+00:00:00.800] #1 $ ls -la [allow, rule read-only]");
        text.Should().Contain("[+00:00:00.820] | -rw-r--r-- 1 root root 42 notes.txt");
        text.Should().Contain("[+00:00:07.820] approval ap-7 for #2: reject by alice@example.com (not today)");
        text.Should().Contain("[+00:00:08.820] exit 0: shell exited");
        text.Should().NotContain("\r");
    }

    private async Task<string> ExportAsync(byte[] recording, ExportFormat format, string name)
    {
        var path = Path.Combine(_directory.FullName, name);
        using var reader = RecordingReader.Open(new MemoryStream(recording));
        await using (var file = File.Create(path))
        {
            await RecordingExporter.ExportAsync(reader, format, file, CancellationToken.None).WaitAsync(TestRecordings.Timeout);
        }

        return path;
    }

    /// <summary>A session with colours, multi-byte characters split across writes, commands, a resize and an exit.</summary>
    private async Task<(byte[] Recording, byte[] Output)> TerminalSessionAsync()
    {
        var output = new List<byte>();
        var recording = await TestRecordings.WriteAsync(_key, (writer, time) =>
        {
            var random = new Random(11);
            void Out(byte[] bytes)
            {
                // Split at arbitrary byte positions, including inside UTF-8 sequences.
                var position = 0;
                while (position < bytes.Length)
                {
                    var n = Math.Min(bytes.Length - position, random.Next(1, 7));
                    writer.AppendOutput(OutputStream.Terminal, bytes.AsSpan(position, n));
                    output.AddRange(bytes.AsSpan(position, n));
                    position += n;
                    time.Advance(TimeSpan.FromMicroseconds(random.Next(1, 40_000)));
                }
            }

            Out("\u001b[1;32muser@web-01\u001b[0m:~$ "u8.ToArray());
            writer.AppendInput("ls -la\r"u8);
            writer.AppendCommand(new CommandRecord { Text = "ls -la", Decision = "allow", RuleId = "read-only" });
            Out("ls -la\r\ntotal 8\r\n-rw-r--r-- 1 root root 42 café.txt ✓ 日本語 🎉\r\n"u8.ToArray());
            time.Advance(TimeSpan.FromSeconds(3));
            writer.AppendResize(120, 40);
            writer.AppendCommand(new CommandRecord { Text = "rm -rf /var/log", Decision = "review", RuleId = "destructive", Reason = "deletes files" });
            writer.AppendApproval(new ApprovalRecord { Kind = ApprovalEventKind.Decided, CommandNumber = 2, ApprovalId = "ap-1", Approver = "alice@example.com", Decision = "reject" });
            Out("broker: rejected \"quoted\" \\ back\\slash \t tab\r\n$ "u8.ToArray());
            time.Advance(TimeSpan.FromMilliseconds(250));
            writer.AppendExit(3, 0, "shell exited");
        });
        return (recording, output.ToArray());
    }
}
