using System.Text;
using System.Threading.Channels;
using Recorder.Tests.Support;
using Replay.Cli;

namespace Recorder.Tests;

public sealed class ReplayCliTests : IDisposable
{
    private readonly RecordingSigningKey _key = RecordingSigningKey.CreateEphemeral();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("replay-cli-");
    private readonly Dictionary<string, string?> _environment = [];

    public ReplayCliTests()
    {
        Sealed = Path.Combine(_directory.FullName, "store", "a-sealed.brkrec");
        Truncated = Path.Combine(_directory.FullName, "store", "b-truncated.brkrec");
        Tampered = Path.Combine(_directory.FullName, "c-tampered.brkrec");
        PublicKey = Path.Combine(_directory.FullName, "recording.pub.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(Sealed)!);
        File.WriteAllText(PublicKey, _key.ExportPublicKeyPem());
    }

    private string Sealed { get; }

    private string Truncated { get; }

    private string Tampered { get; }

    private string PublicKey { get; }

    public void Dispose()
    {
        _key.Dispose();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Info_shows_header_duration_counts_and_verification()
    {
        await WriteFilesAsync();

        var (exitCode, output, _) = await RunAsync("info", Sealed, "--public-key", PublicKey);

        exitCode.Should().Be(ExitCodes.Success);
        output.Should().Contain("session    s-1");
        output.Should().Contain("subject    agent@example.com (issuer https://idp.example.com)");
        output.Should().Contain("roles      dev, ops");
        output.Should().Contain("terminal   100x30 xterm-256color");
        output.Should().Contain("duration   00:00:08.820");
        output.Should().Contain("commands   3 (allow 2, review 1)");
        output.Should().Contain("exit       0 (shell exited)");
        output.Should().Contain("integrity  intact and sealed");
        output.Should().MatchRegex(@"size\s+\d+ bytes on disk, \d+ bytes of output");
    }

    [Fact]
    public async Task Info_without_a_public_key_says_the_recording_is_not_verified()
    {
        await WriteFilesAsync();

        var (exitCode, output, _) = await RunAsync("info", Truncated);

        exitCode.Should().Be(ExitCodes.Success);
        output.Should().Contain("duration   00:00:08.820 (no seal: incomplete)");
        output.Should().Contain("integrity  not verified (no public key: pass --public-key FILE or set BROKER_RECORDING_PUBLIC_KEY)");
    }

    [Fact]
    public async Task Verify_exit_codes_distinguish_sealed_truncated_and_tampered()
    {
        await WriteFilesAsync();

        (await RunAsync("verify", Sealed, "--public-key", PublicKey)).ExitCode.Should().Be(ExitCodes.Success);
        var truncated = await RunAsync("verify", Truncated, "--public-key", PublicKey);
        truncated.ExitCode.Should().Be(ExitCodes.Truncated);
        truncated.Output.Should().Contain("(17 records), then truncated (there is no seal)");
        var tampered = await RunAsync("verify", Tampered, "-k", PublicKey);
        tampered.ExitCode.Should().Be(ExitCodes.Tampered);
        tampered.Output.Should().Contain("tampered at record 0");

        var directory = await RunAsync("verify", _directory.FullName, "--public-key", PublicKey);
        directory.ExitCode.Should().Be(ExitCodes.Tampered, "the worst verdict wins");
        directory.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3);
    }

    [Fact]
    public async Task Verify_takes_the_public_key_from_the_environment_and_fails_clearly_without_one()
    {
        await WriteFilesAsync();

        var missing = await RunAsync("verify", Sealed);
        missing.ExitCode.Should().Be(ExitCodes.PublicKeyUnavailable);
        missing.Error.Should().Be("replay: no public key: pass --public-key FILE or set BROKER_RECORDING_PUBLIC_KEY\n");

        _environment["BROKER_RECORDING_PUBLIC_KEY"] = PublicKey;
        (await RunAsync("verify", Sealed)).ExitCode.Should().Be(ExitCodes.Success);
        _environment["BROKER_RECORDING_PUBLIC_KEY"] = _key.ExportPublicKeyPem();
        (await RunAsync("verify", Sealed)).ExitCode.Should().Be(ExitCodes.Success);

        using var other = RecordingSigningKey.CreateEphemeral();
        _environment["BROKER_RECORDING_PUBLIC_KEY"] = other.ExportPublicKeyPem();
        var wrongKey = await RunAsync("verify", Sealed);
        wrongKey.ExitCode.Should().Be(ExitCodes.Tampered);
        wrongKey.Output.Should().Contain("signed by another key");
    }

    [Fact]
    public async Task Missing_files_and_non_recordings_get_one_line_errors_and_distinct_exit_codes()
    {
        await WriteFilesAsync();
        var notARecording = Path.Combine(_directory.FullName, "notes.txt");
        await File.WriteAllTextAsync(notARecording, "hello, not a recording");

        var missing = await RunAsync("info", Path.Combine(_directory.FullName, "nope.brkrec"));
        missing.ExitCode.Should().Be(ExitCodes.SourceNotFound);
        missing.Error.Should().StartWith("replay: no such file, directory or session: ").And.EndWith("\n").And.Subject.Count(c => c == '\n').Should().Be(1);

        var bad = await RunAsync("commands", notARecording);
        bad.ExitCode.Should().Be(ExitCodes.NotARecording);
        bad.Error.Should().Contain("not a broker recording (bad magic)");

        (await RunAsync("export", Sealed, "--format", "mp4")).ExitCode.Should().Be(ExitCodes.Usage);
        (await RunAsync("frobnicate")).ExitCode.Should().Be(ExitCodes.Usage);
    }

    [Fact]
    public async Task A_recording_damaged_part_way_is_shown_up_to_the_damage_with_a_warning()
    {
        var bytes = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, new RecordingWriterOptions { SegmentBytes = 4096, CheckpointEveryRecords = 1 });
        var file = RecordingFile.Parse(bytes);
        var lastSegment = file.Segments.Last();
        lastSegment.Body[^3] ^= 0xFF;
        var damaged = Path.Combine(_directory.FullName, "damaged.brkrec");
        await File.WriteAllBytesAsync(damaged, file.ToBytes());

        var commands = await RunAsync("commands", damaged);
        var verify = await RunAsync("verify", damaged, "-k", PublicKey);

        commands.ExitCode.Should().Be(ExitCodes.Success);
        commands.Output.Should().Contain("ls -la");
        commands.Error.Should().StartWith("replay: warning: ").And.Contain("damaged at record");
        verify.ExitCode.Should().Be(ExitCodes.Tampered);
        verify.Output.Should().Contain("does not decompress");
    }

    [Fact]
    public async Task Commands_lists_the_timeline_with_decisions_approvers_and_exit_codes()
    {
        await WriteFilesAsync();

        var (exitCode, output, _) = await RunAsync("commands", Sealed);

        exitCode.Should().Be(ExitCodes.Success);
        var lines = output.Split('\n');
        lines.Should().Contain("#1    +00:00:00.800  allow   exit 0    ls -la");
        lines.Should().Contain("#2    +00:00:02.820  review  exit -    rm -rf /var/log");
        lines.Should().Contain("                      rule destructive: deletes files");
        lines.Should().Contain("      +00:00:07.820  approval ap-7 for #2: reject by alice@example.com (not today)");
        lines.Should().Contain("      +00:00:08.820  session exit 0: shell exited");
    }

    [Fact]
    public async Task Search_finds_output_input_and_commands_with_session_and_offset()
    {
        await WriteFilesAsync();

        var output = await RunAsync("search", "notes\\.txt", Sealed, "--in", "output");
        output.ExitCode.Should().Be(ExitCodes.Success);
        output.Output.Should().Be("s-1 +00:00:00.820 output: -rw-r--r-- 1 root root 42 notes.txt\n");

        var commands = await RunAsync("search", "^rm ", Sealed, "--in", "commands");
        commands.Output.Should().Be("s-1 +00:00:02.820 command: #2 $ rm -rf /var/log [review, rule destructive: deletes files]\n");

        var input = await RunAsync("search", "^exit$", Sealed, "--in", "input");
        input.Output.Should().Be("s-1 +00:00:08.820 input: exit\n");

        var everywhere = await RunAsync("search", "rejected", Path.Combine(_directory.FullName, "store"));
        everywhere.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2).And.OnlyContain(l => l.EndsWith("+00:00:00.820 output: $ broker: command rejected", StringComparison.Ordinal));

        (await RunAsync("search", "no such thing", Sealed)).ExitCode.Should().Be(ExitCodes.NoMatch);
        var invalid = await RunAsync("search", "([", Sealed);
        invalid.ExitCode.Should().Be(ExitCodes.Usage);
        invalid.Error.Should().StartWith("replay: invalid regular expression");
    }

    [Fact]
    public async Task Export_writes_asciicast_and_text_to_stdout_or_a_file()
    {
        await WriteFilesAsync();

        var v3 = await RunAsync("export", Sealed, "--format", "asciicast-v3");
        v3.ExitCode.Should().Be(ExitCodes.Success);
        v3.Output.Split('\n')[0].Should().StartWith("{\"version\":3,\"term\":{\"cols\":100,\"rows\":30,\"type\":\"xterm-256color\"}");
        v3.Output.Should().Contain("[2,\"r\",\"120x40\"]").And.EndWith("[0,\"x\",\"0\"]\n");

        var file = Path.Combine(_directory.FullName, "out.cast");
        (await RunAsync("export", Sealed, "-f", "asciicast-v2", "-o", file)).ExitCode.Should().Be(ExitCodes.Success);
        (await File.ReadAllLinesAsync(file))[0].Should().StartWith("{\"version\":2,\"width\":100,\"height\":30");

        var text = await RunAsync("export", Sealed, "--format", "text");
        text.Output.Should().Contain("[+00:00:02.820] #2 $ rm -rf /var/log [review, rule destructive: deletes files]");
    }

    [Fact]
    public async Task Play_writes_the_output_bytes_in_order_within_the_chosen_window()
    {
        await WriteFilesAsync();
        var all = "$ total 8\r\n-rw-r--r-- 1 root root 42 notes.txt\r\n$ broker: command rejected\r\n$ ";

        var full = await RunAsync("play", Sealed, "--speed", "1000");
        full.ExitCode.Should().Be(ExitCodes.Success);
        full.Output.Should().Be(all);

        (await RunAsync("play", Sealed, "--speed", "1000", "--to", "#2")).Output.Should().Be("$ total 8\r\n-rw-r--r-- 1 root root 42 notes.txt\r\n$ ");
        (await RunAsync("play", Sealed, "--from", "#3", "--speed", "1000")).Output.Should().Be(all, "output before the start is shown at once so the screen is right");
        (await RunAsync("play", Sealed, "--idle-limit", "0", "--to", "0:05")).Output.Should().Be("$ total 8\r\n-rw-r--r-- 1 root root 42 notes.txt\r\n$ ");
        (await RunAsync("play", Sealed, "--from", "#9")).ExitCode.Should().Be(ExitCodes.Usage);
        (await RunAsync("play", Sealed, "--speed", "0")).ExitCode.Should().Be(ExitCodes.Usage);
    }

    [Theory]
    [InlineData(new[] { "--speed", "2" }, new[] { 410.0, 3500.0 })]
    [InlineData(new[] { "--idle-limit", "1" }, new[] { 820.0, 1000.0 })]
    [InlineData(new[] { "--speed", "0.5", "--idle-limit", "2" }, new[] { 1640.0, 4000.0 })]
    [InlineData(new[] { "--from", "5" }, new[] { 2820.0 })]
    [InlineData(new[] { "--from", "#2", "--speed", "4" }, new[] { 1250.0 })]
    public async Task Play_waits_the_recorded_gaps_divided_by_the_speed_and_capped_by_the_idle_limit(string[] options, double[] expectedWaitsMs)
    {
        await WriteFilesAsync();
        var clock = new InstantTimeProvider();

        var (exitCode, output, _) = await RunAsync(null, clock, ["play", Sealed, .. options]);

        exitCode.Should().Be(ExitCodes.Success);
        output.Should().Be("$ total 8\r\n-rw-r--r-- 1 root root 42 notes.txt\r\n$ broker: command rejected\r\n$ ");
        clock.Waits.Select(w => w.TotalMilliseconds).Should().Equal(expectedWaitsMs, (actual, expected) => Math.Abs(actual - expected) <= 1);
    }

    [Fact]
    public async Task Play_keys_quit_and_skip_to_the_next_command()
    {
        await WriteFilesAsync();

        var quit = Channel.CreateUnbounded<char>();
        quit.Writer.TryWrite('q');
        (await RunAsync(quit.Reader, "play", Sealed)).Output.Should().Be("$ ", "q stops at the first pause");

        var next = Channel.CreateUnbounded<char>();
        next.Writer.TryWrite('n');
        next.Writer.TryWrite('n');
        next.Writer.TryWrite('q');
        var skipped = await RunAsync(next.Reader, "play", Sealed);
        skipped.Output.Should().Be("$ total 8\r\n-rw-r--r-- 1 root root 42 notes.txt\r\n$ broker: command rejected\r\n$ ");
    }

    private async Task WriteFilesAsync()
    {
        await File.WriteAllBytesAsync(Sealed, await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession));
        await File.WriteAllBytesAsync(Truncated, await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, seal: false, sessionId: "s-2"));
        var tampered = await TestRecordings.WriteAsync(_key, TestRecordings.ShellSession, sessionId: "s-3");
        var file = RecordingFile.Parse(tampered);
        var segment = file.Segments.First();
        var (first, records) = RecordingFile.DecodeSegment(segment);
        records[^1][^2] ^= 0x01;
        file.Frames[file.Frames.IndexOf(segment)] = RecordingFile.EncodeSegment(first, records);
        await File.WriteAllBytesAsync(Tampered, file.ToBytes());
    }

    private Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args) => RunAsync(null, TimeProvider.System, args);

    private Task<(int ExitCode, string Output, string Error)> RunAsync(ChannelReader<char>? keys, params string[] args) => RunAsync(keys, TimeProvider.System, args);

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(ChannelReader<char>? keys, TimeProvider time, string[] args)
    {
        var output = new MemoryStream();
        var error = new StringWriter { NewLine = "\n" };
        var console = new ReplayConsole(output, error, name => _environment.GetValueOrDefault(name), time) { OpenKeys = () => keys };
        var exitCode = await new ReplayApplication(console, ReplayApplication.DefaultResolvers).RunAsync(args, CancellationToken.None).WaitAsync(TestRecordings.Timeout);
        return (exitCode, Encoding.UTF8.GetString(output.ToArray()), error.ToString());
    }
}
