using Microsoft.Extensions.Time.Testing;
using Recorder.Tests.Fuzzing;
using Recorder.Tests.Support;
using Replay.Cli;
using Xunit.Abstractions;

namespace Recorder.Tests;

/// <summary>
/// Every replay command, run as a process on recordings built to exhaust memory, keeps its peak
/// resident memory (measured by the kernel, through /usr/bin/time) below a bound that does not
/// depend on the recording: a legitimate 410 KB recording of one 1.1 GB line, segments that
/// decompress to gigabytes, lying record counts, a huge time offset, and hundreds of thousands of
/// commands whose exits never come.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class ReplayMemoryTests(ReplayMemoryTests.Recordings recordings, ITestOutputHelper log) : IClassFixture<ReplayMemoryTests.Recordings>
{
    /// <summary>
    /// The bound: a .NET process's own footprint (about 60-90 MiB here), one frame and one segment of
    /// at most 16 MiB each, and working buffers. The recordings below would take gigabytes if held.
    /// </summary>
    private const long PeakBudget = 256L * 1024 * 1024;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var recording in Recordings.Names)
        {
            foreach (var command in Commands.Keys)
            {
                data.Add(recording, command);
            }
        }

        return data;
    }

    private static Dictionary<string, Func<string, string, string[]>> Commands { get; } = new(StringComparer.Ordinal)
    {
        ["info"] = (file, key) => ["info", file, "-k", key],
        ["commands"] = (file, _) => ["commands", file],
        ["search"] = (file, _) => ["search", "aaaa|xxxx", file],
        ["export text"] = (file, _) => ["export", file, "--format", "text"],
        ["export asciicast"] = (file, _) => ["export", file, "--format", "asciicast-v3"],
        ["play"] = (file, _) => ["play", file, "--idle-limit", "0"],
        ["verify"] = (file, key) => ["verify", file, "-k", key],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_replay_command_reads_a_hostile_recording_in_memory_independent_of_its_size(string recording, string command)
    {
        var args = Commands[command](recordings.PathOf(recording), recordings.PublicKey);

        var (exitCode, error, peak) = await ReplayProcess.RunAsync(recordings.Directory, new Dictionary<string, string>(), args);

        log.WriteLine($"{command} on {recording}: exit {exitCode}, peak RSS {peak / (1024 * 1024)} MiB; {error.Trim()}");
        exitCode.Should().BeOneOf([ExitCodes.Success, ExitCodes.NoMatch, ExitCodes.Truncated, ExitCodes.Tampered], error);
        peak.Should().BeLessThan(PeakBudget, $"{command} must not hold {recording} in memory");
        HostileText.FindUnsafe(error).Should().BeNull();
        error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.Should().BeLessThanOrEqualTo(2, "at most a warning and a note");
    }

    /// <summary>The recordings, built once for the class in a directory of its own.</summary>
    public sealed class Recordings : IAsyncLifetime
    {
        /// <summary>The length: `head -c 1100000000 /dev/zero | tr '\0' a`.</summary>
        public const long LineLength = 1_100_000_000;

        public static readonly string[] Names =
        [
            "single line of 1.1 GB",
            "zstd-segments-decompressing-to-gigabytes",
            "record-count-300-million",
            "record-count-0x7fffffff",
            "output-at-offset-2-pow-62",
            "300000 commands without exits",
        ];

        private readonly RecordingSigningKey _key = Regressions.Key();

        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("replay-memory-").FullName;

        public string PublicKey => Path.Combine(Directory, "recording.pub.pem");

        public string PathOf(string name) => name switch
        {
            "single line of 1.1 GB" => Path.Combine(Directory, "long-line.brkrec"),
            "300000 commands without exits" => Path.Combine(Directory, "commands.brkrec"),
            _ => Regressions.PathOf(name),
        };

        public async Task InitializeAsync()
        {
            await File.WriteAllTextAsync(PublicKey, _key.ExportPublicKeyPem());
            await CraftedRecordings.WriteSingleLineAsync(PathOf(Names[0]), LineLength, _key);
            await WriteCommandsAsync(PathOf(Names[^1]), 300_000);
        }

        public Task DisposeAsync()
        {
            _key.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
            return Task.CompletedTask;
        }

        /// <summary>Commands of 1 KB each that never report an exit: `replay commands` must not wait on all of them.</summary>
        private async Task WriteCommandsAsync(string path, int count)
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
            var writer = RecordingWriter.CreateFile(path, TestRecordings.Header("s-many-commands"), _key, new RecordingWriterOptions(), time);
            await using (writer)
            {
                var text = "ls " + new string('x', 1000);
                for (var i = 0; i < count; i++)
                {
                    writer.AppendCommand(new CommandRecord { Text = text, Decision = "allow", RuleId = "read-only" });
                    if (i % 10_000 == 0)
                    {
                        await writer.FlushAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
                    }
                }

                writer.AppendExit(0, 0, "shell exited");
                await writer.SealAsync(CancellationToken.None).WaitAsync(TestRecordings.Timeout);
            }
        }
    }
}
