using Recorder.Format;
using Recorder.Integrity;
using Recorder.Tests.Fuzzing;
using Recorder.Tests.Support;
using Replay.Cli;

namespace Recorder.Tests;

/// <summary>The committed hostile and damaged recordings (tests/Recorder.Tests/Regressions): every command answers each cleanly, and each case does what the docs say.</summary>
[Collection(nameof(RunsAlone))]
public sealed class RegressionFileTests : IDisposable
{
    private readonly RecordingSigningKey _key = Regressions.Key();
    private readonly Dictionary<string, string?> _environment = [];

    public RegressionFileTests() => _environment["BROKER_RECORDING_PUBLIC_KEY"] = _key.ExportPublicKeyPem();

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Regressions.Files())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Committed_crafted_files_are_what_the_generator_builds()
    {
        var regenerate = Environment.GetEnvironmentVariable("RECORDER_REGENERATE_REGRESSIONS") == "1";
        foreach (var (name, build) in CraftedRecordings.All)
        {
            var built = await build(_key);
            if (regenerate)
            {
                await File.WriteAllBytesAsync(Regressions.PathOf(name), built);
            }

            var committed = await File.ReadAllBytesAsync(Regressions.PathOf(name));
            WithoutSignatures(committed).Should().Equal(WithoutSignatures(built), $"{name} must be what CraftedRecordings builds (RECORDER_REGENERATE_REGRESSIONS=1 rebuilds it)");
            committed.Length.Should().BeLessThan(1024 * 1024, "committed files stay small");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Every_command_answers_each_regression_file_cleanly(string file)
    {
        var harness = new ReplayHarness(_key.ExportPublicKeyPem());

        var failure = await harness.CheckAsync(await File.ReadAllBytesAsync(Path.Combine(Regressions.Directory, file)));

        failure.Should().BeNull();
    }

    [Fact]
    public async Task A_denied_command_with_escapes_is_shown_as_text_in_a_sealed_recording()
    {
        var file = Regressions.PathOf("denied-command-with-escapes");

        var verify = await RunAsync("verify", file);
        var commands = await RunAsync("commands", file);
        var search = await RunAsync("search", "52", file, "--in", "commands");
        var export = await RunAsync("export", file, "--format", "text");

        verify.Output.Should().Contain("intact and sealed", "an agent controls what is recorded; the recording is genuine");
        var lines = commands.Output.Split('\n');
        lines[0].Should().StartWith("#1    +00:00:00.300  deny    exit 126  rm \\e]52;c;cHduZWQ=\\a\\e]0;owned\\a\\r\\e[2K\\u009b2J\\u202egnp.exe");
        lines.Should().Contain(l => l.StartsWith("#2    +00:00:00.600  deny    exit -    rm -rf /\\r\\e[2K#1    +00:00:00.000  allow   exit 0    ls", StringComparison.Ordinal));
        lines.Should().Contain("                      rule (default): no rule allows it", "a default deny names no rule; the label says so");
        search.Output.Should().Contain("command: #1 $ rm \\e]52;c;");
        export.Output.Should().Contain("| $ \\u202egnp.exe", "output lines lose their sequences and show what hides text");
        foreach (var output in new[] { verify, commands, search, export })
        {
            HostileText.FindUnsafe(output.Output, allowTab: true).Should().BeNull();
            HostileText.FindUnsafe(output.Error).Should().BeNull();
        }
    }

    [Fact]
    public async Task Segments_decompressing_to_gigabytes_are_read_one_at_a_time()
    {
        var file = Regressions.PathOf("zstd-segments-decompressing-to-gigabytes");

        var info = await RunAsync("info", file);

        info.Code.Should().Be(ExitCodes.Success);
        info.Output.Should().Contain($"events     {1 + (120 * 16)} (output {1 + (120 * 16)})");
        new FileInfo(file).Length.Should().BeLessThan(512 * 1024);
    }

    [Theory]
    [InlineData("segment-larger-than-declared", "decompresses to more than the 4096 bytes its prefix declares")]
    [InlineData("record-count-0x7fffffff", "segment prefix is not valid")]
    [InlineData("record-count-300-million", "segment prefix is not valid")]
    [InlineData("bad-record-mid-segment", "damaged at record 5 ")]
    [InlineData("offsets-going-backwards", "its time offset goes backwards")]
    [InlineData("oversized-structured-record", "is longer than the 1048576 the writer allows")]
    public async Task Damage_is_reported_and_what_precedes_it_is_shown(string name, string warning)
    {
        var commands = await RunAsync("commands", Regressions.PathOf(name));

        commands.Code.Should().Be(ExitCodes.Success);
        commands.Output.Should().StartWith("#1    +00:00:00.800  allow   exit 0    ls -la", "the first command precedes the damage in every case");
        commands.Error.Should().StartWith("replay: warning: ").And.Contain(warning).And.EndWith("\n");
        commands.Error.Count(c => c == '\n').Should().Be(1);
    }

    [Fact]
    public async Task Output_146_years_after_the_start_plays_without_a_crash()
    {
        var file = Regressions.PathOf("output-at-offset-2-pow-62");
        var clock = new InstantTimeProvider();

        var play = await RunAsync(clock, "play", file, "--speed", "1024");

        play.Code.Should().Be(ExitCodes.Success);
        play.Output.Should().Be("$ late\r\n");
        clock.Waits.Sum(w => w.TotalDays).Should().BeApproximately((1L << 62) / 1e9 / 86400 / 1024, 1, "the gap is waited out in timers of at most a day");
        (await RunAsync("verify", file)).Output.Should().Contain("intact and sealed");
    }

    private static byte[] WithoutSignatures(byte[] recording)
    {
        var file = RecordingFile.Parse(recording);
        foreach (var frame in file.Frames.Where(f => f.Kind is FrameKind.Checkpoint or FrameKind.Seal))
        {
            frame.Body.AsSpan(Checkpoint.SignedLength).Clear();
        }

        return file.ToBytes();
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(TimeProvider.System, args);

    private Task<(int Code, string Output, string Error)> RunAsync(TimeProvider time, params string[] args) =>
        ReplayRun.RunAsync(name => _environment.GetValueOrDefault(name), time, args);
}
