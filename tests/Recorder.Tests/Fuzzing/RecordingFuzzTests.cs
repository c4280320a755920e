using System.Globalization;
using Recorder.Tests.Support;
using Xunit.Abstractions;

namespace Recorder.Tests.Fuzzing;

/// <summary>
/// The reader and every replay command against mutated real recordings: a fixed, seeded number of
/// iterations in the suite (deterministic, a few seconds); more by hand with
/// <c>RECORDER_FUZZ_ITERATIONS=100000 RECORDER_FUZZ_SEED=7 dotnet test tests/Recorder.Tests --filter RecordingFuzzTests</c>.
/// Each input that breaks an invariant is saved (<c>RECORDER_FUZZ_FINDINGS</c>, else a temporary
/// directory) to be kept under tests/Recorder.Tests/Regressions once fixed.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class RecordingFuzzTests(ITestOutputHelper log)
{
    private const int DefaultIterations = 300;
    private const int DefaultSeed = 15;

    [Fact]
    public async Task Mutated_recordings_always_get_a_clean_answer_from_the_reader_and_every_command()
    {
        var iterations = Setting("RECORDER_FUZZ_ITERATIONS", DefaultIterations);
        var seed = Setting("RECORDER_FUZZ_SEED", DefaultSeed);
        using var key = RecordingSigningKey.CreateEphemeral();
        var seeds = await SeedsAsync(key);
        var harness = new ReplayHarness(key.ExportPublicKeyPem());
        var mutator = new RecordingMutator(new Random(seed));
        var findings = new List<string>();

        foreach (var (name, bytes) in seeds)
        {
            (await harness.CheckAsync(bytes)).Should().BeNull($"the unmutated seed {name} is a good recording");
        }

        for (var i = 0; i < iterations && findings.Count < 5; i++)
        {
            var (seedName, seedBytes) = seeds[i % seeds.Count];
            var mutant = mutator.Mutate(seedBytes, out var applied);

            // Three of the command lines per input, in turn: every command sees a third of the inputs.
            int[] commands = [i % ReplayHarness.CommandCount, (i + 3) % ReplayHarness.CommandCount, (i + 7) % ReplayHarness.CommandCount];
            if (await harness.CheckAsync(mutant, commands) is { } failure)
            {
                findings.Add($"iteration {i} ({seedName}: {applied}), saved as {Save(mutant, seed, i)}: {failure}");
            }
        }

        log.WriteLine($"{iterations} iterations from seed {seed}, {findings.Count} findings");

        findings.Should().BeEmpty();
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static string Save(byte[] mutant, int seed, int iteration)
    {
        var directory = Environment.GetEnvironmentVariable("RECORDER_FUZZ_FINDINGS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "recorder-fuzz-findings");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"fuzz-seed{seed}-iteration{iteration}-{Guid.NewGuid():n}.brkrec");
        File.WriteAllBytes(path, mutant);
        return path;
    }

    /// <summary>Real recordings of different shapes: small and large segments, many records, hostile text, stdout and stderr.</summary>
    private static async Task<List<(string Name, byte[] Bytes)>> SeedsAsync(RecordingSigningKey key) =>
    [
        ("shell session", await TestRecordings.WriteAsync(key, TestRecordings.ShellSession)),
        ("shell session in small segments", await TestRecordings.WriteAsync(key, TestRecordings.ShellSession, new RecordingWriterOptions { SegmentBytes = 4096, CheckpointEveryRecords = 3 })),
        ("hostile text in every field", await CraftedRecordings.HostileEveryFieldAsync(key)),
        ("unsealed session", await TestRecordings.WriteAsync(key, TestRecordings.ShellSession, seal: false)),
        ("exec session", await TestRecordings.WriteAsync(key, (writer, time) =>
        {
            var random = new Random(3);
            var command = writer.AppendCommand(new CommandRecord { Text = "make test", Decision = "allow" });
            for (var i = 0; i < 60; i++)
            {
                var data = new byte[random.Next(1, 3000)];
                random.NextBytes(data);
                writer.AppendOutput(i % 3 == 0 ? OutputStream.Stderr : OutputStream.Stdout, data);
                time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 400)));
            }

            writer.AppendCommandExit(command, 2);
            writer.AppendExit(2, 0, "exited");
        }, new RecordingWriterOptions { SegmentBytes = 16 * 1024 })),
    ];
}
