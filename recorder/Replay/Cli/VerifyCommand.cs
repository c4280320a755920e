using System.CommandLine;
using Recorder;
using Replay.Sources;

namespace Replay.Cli;

/// <summary>`replay verify LOCATION...`: exit 0 only when every recording is intact and sealed; otherwise the worst code of them all.</summary>
internal sealed class VerifyCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build(Option<string?> publicKey)
    {
        var locations = new Argument<string[]>("recording") { Description = "Recording files, directories of recordings, or session ids.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("verify", "Check hash chain and signatures (and, by session id, the index's seal): exit 0 intact and sealed, 10 truncated, 11 tampered, 12 missing.") { locations, publicKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var pem = PublicKeyOption.Load(parse.GetValue(publicKey), console, out var keyError);
            if (pem is null)
            {
                return console.Fail(ExitCodes.PublicKeyUnavailable, keyError!);
            }

            // Every location is checked even after a bad one, so one run reports on all of them.
            var worst = ExitCodes.Success;
            foreach (var location in parse.GetRequiredValue(locations))
            {
                var (sources, exitCode) = await loader.ResolveAsync(location, cancellationToken).ConfigureAwait(false);
                worst = Worse(worst, exitCode);
                foreach (var source in sources)
                {
                    if (source is MissingRecordingSource missing)
                    {
                        console.WriteLine($"{UntrustedText.Neutralize(source.Name)}: missing: {UntrustedText.Neutralize(missing.Detail)}");
                        worst = Worse(worst, ExitCodes.Missing);
                        continue;
                    }

                    var (result, code) = await VerifyAsync(source, pem, cancellationToken).ConfigureAwait(false);
                    if (result is not null)
                    {
                        // The verdict can quote the file (a field that does not parse), and the name is a path anyone could choose.
                        console.WriteLine($"{UntrustedText.Neutralize(source.Name)}: {UntrustedText.Neutralize(result.Detail)}");
                    }

                    worst = Worse(worst, code);
                }
            }

            return worst;
        });
        return command;
    }

    /// <summary>Verifies one source; the result is null (after reporting) when the source or key is unusable.</summary>
    public async Task<(VerificationResult? Result, int ExitCode)> VerifyAsync(IRecordingSource source, string pem, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var result = RecordingVerifier.Verify(stream, pem);
                if (source is IndexedRecordingSource { Expected: var expected } && expected.Mismatch(result, stream.CanSeek ? stream.Length : source.Length) is { } mismatch)
                {
                    // Signed, and sealed perhaps, but not the recording the broker wrote for this session.
                    return (result with { Status = VerificationStatus.Tampered, Detail = $"tampered: {mismatch}" }, ExitCodes.Tampered);
                }

                return (result, ExitCodeOf(result.Status));
            }
        }
        catch (ArgumentException e)
        {
            return (null, console.Fail(ExitCodes.PublicKeyUnavailable, e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, console.Fail(ExitCodes.SourceNotFound, $"{source.Name}: {e.Message}"));
        }
    }

    /// <summary>Of two exit codes, the one that says more is wrong: tampered over truncated over a source that could not be read.</summary>
    private static int Worse(int a, int b) => Math.Max(a, b);

    public static int ExitCodeOf(VerificationStatus status) => status switch
    {
        VerificationStatus.IntactAndSealed => ExitCodes.Success,
        VerificationStatus.TruncatedAfterCheckpoint => ExitCodes.Truncated,
        _ => ExitCodes.Tampered,
    };
}
