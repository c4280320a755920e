using System.Diagnostics;
using System.Text;
using Recorder.Tests.Support;
using Replay.Cli;
using Replay.Sources;

namespace Recorder.Tests.Fuzzing;

/// <summary>
/// Runs the recording library and every replay command in process on one recording's bytes and
/// checks what must hold for any input: no exception escapes, every exit code is one the tool
/// documents, no text output carries anything a terminal would act on (or that hides text), the
/// terminal output of play and attach-like export carries no sequence that acts outside the screen,
/// and the process's peak memory does not jump.
/// </summary>
internal sealed class ReplayHarness(string publicKeyPem)
{
    /// <summary>The location the in-memory source answers to.</summary>
    private const string Location = "fuzzed.brkrec";

    /// <summary>Growth of the process's peak resident memory that counts as a budget breach.</summary>
    private const long PeakGrowthBudget = 1024L * 1024 * 1024;

    private static readonly int[] DocumentedExitCodes = [ExitCodes.Success, ExitCodes.NoMatch, ExitCodes.NotARecording, ExitCodes.Truncated, ExitCodes.Tampered];

    /// <summary>How many replay command lines <see cref="CheckAsync"/> can run.</summary>
    public static int CommandCount => Commands(string.Empty).Count;

    /// <summary>
    /// Why <paramref name="recording"/> broke an invariant, or null when it did not. The library is
    /// always checked; of the replay command lines, those numbered in <paramref name="commands"/> (all by default).
    /// </summary>
    public async Task<string?> CheckAsync(byte[] recording, IEnumerable<int>? commands = null)
    {
        var peakBefore = PeakResidentBytes();
        try
        {
            var failure = await CheckLibraryAsync(recording).ConfigureAwait(false)
                ?? await CheckCommandsAsync(recording, commands ?? Enumerable.Range(0, CommandCount)).ConfigureAwait(false);
            if (failure is not null)
            {
                return failure;
            }
        }
#pragma warning disable CA1031 // Any exception at all is the finding.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return $"crash: {e}";
        }

        var growth = PeakResidentBytes() - peakBefore;
        return growth > PeakGrowthBudget ? $"budget breach: the peak resident memory grew by {growth / (1024 * 1024)} MiB" : null;
    }

    private static async Task<string?> CheckLibraryAsync(byte[] recording)
    {
        RecordingReader reader;
        try
        {
            reader = RecordingReader.Open(new MemoryStream(recording, writable: false), new RecordingReaderOptions { MaxDecompressedBytes = 256L * 1024 * 1024 });
        }
        catch (RecordingFormatException)
        {
            return null;
        }

        using (reader)
        {
            var last = -1L;
            await foreach (var recorded in reader.ReadEventsAsync().ConfigureAwait(false))
            {
                if (recorded.Index != last + 1)
                {
                    return $"reader: record {recorded.Index} follows record {last}";
                }

                last = recorded.Index;
            }

            if (reader.Damage is { } damage && damage.RecordIndex != last + 1)
            {
                return $"reader: damage at record {damage.RecordIndex} after reading up to record {last}";
            }

            if (reader.Duration < TimeSpan.Zero)
            {
                return "reader: negative duration";
            }
        }

        return null;
    }

    /// <summary>
    /// Every command line, with the check its output gets: text commands must show nothing unsafe
    /// (tabs allowed in transcripts), play nothing that acts outside the screen, and asciicast (JSON)
    /// only has to finish.
    /// </summary>
    private static List<(string Name, string[] Args, Func<byte[], string?> Check)> Commands(string publicKeyPem)
    {
        Func<byte[], string?> text = bytes => HostileText.FindUnsafe(bytes, allowTab: true);
        Func<byte[], string?> terminal = bytes => TerminalOutput.FindOutsideTheScreen(bytes);
        Func<byte[], string?> none = _ => null;
        return
        [
            ("info", ["info", Location, "-k", publicKeyPem, "--max-decompressed", "64M"], text),
            ("commands", ["commands", Location, "--max-decompressed", "64M"], text),
            ("search everything", ["search", ".", Location, "--max-decompressed", "64M"], text),
            ("search commands", ["search", "a|b", Location, "--in", "commands", "--max-decompressed", "64M"], text),
            ("export text", ["export", Location, "--format", "text", "--max-decompressed", "64M"], text),
            ("verify", ["verify", Location, "-k", publicKeyPem], text),
            ("play without pauses", ["play", Location, "--idle-limit", "0", "--max-decompressed", "64M"], terminal),
            ("play at full speed", ["play", Location, "--speed", "1024", "--max-decompressed", "64M"], terminal),
            ("export asciicast v3", ["export", Location, "--format", "asciicast-v3", "--max-decompressed", "64M"], none),
            ("export asciicast v2, unfiltered", ["export", Location, "--format", "asciicast-v2", "--pass-escapes", "--max-decompressed", "64M"], none),
        ];
    }

    private async Task<string?> CheckCommandsAsync(byte[] recording, IEnumerable<int> which)
    {
        var commands = Commands(publicKeyPem);
        foreach (var index in which)
        {
            var (name, args, check) = commands[index];
            var (code, output, error) = await RunAsync(recording, args, check).ConfigureAwait(false);
            if (!DocumentedExitCodes.Contains(code))
            {
                return $"{name}: exit code {code} ({error.Trim()})";
            }

            if (output is not null)
            {
                return $"{name}: {output}";
            }

            if (HostileText.FindUnsafe(Encoding.UTF8.GetBytes(error)) is { } unsafeError)
            {
                return $"{name}: unsafe error: {unsafeError}";
            }
        }

        return null;
    }

    /// <summary>Runs one command; the output is checked write by write, never held whole (a command may write gigabytes).</summary>
    private static async Task<(int Code, string? OutputFailure, string Error)> RunAsync(byte[] recording, string[] args, Func<byte[], string?> check)
    {
        using var output = new CheckingStream(check);
        var error = new StringWriter { NewLine = "\n" };
        var console = new ReplayConsole(output, error, _ => null, new InstantTimeProvider());
        var code = await new ReplayApplication(console, [new InMemoryResolver(recording)]).RunAsync(args, CancellationToken.None).WaitAsync(TestRecordings.Timeout).ConfigureAwait(false);
        return (code, output.Failure, error.ToString());
    }

    private static long PeakResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>Answers the harness's location with the bytes under test.</summary>
    private sealed class InMemoryResolver(byte[] recording) : IRecordingSourceResolver
    {
        public ValueTask<SourceResolution?> ResolveAsync(string location, CancellationToken cancellationToken) =>
            ValueTask.FromResult<SourceResolution?>(location == Location ? new SourceResolution([new InMemorySource(recording)]) : null);
    }

    private sealed class InMemorySource(byte[] recording) : IRecordingSource
    {
        public string Name => Location;

        public long? Length => recording.Length;

        public ValueTask<Stream> OpenAsync(CancellationToken cancellationToken) => ValueTask.FromResult<Stream>(new MemoryStream(recording, writable: false));
    }
}
