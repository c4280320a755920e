using System.CommandLine;
using Recorder;
using Replay.Sources;

namespace Replay.Cli;

/// <summary>`replay verify PATH`: exit 0 only when every recording is intact and sealed.</summary>
internal sealed class VerifyCommand(ReplayConsole console, RecordingLoader loader)
{
    public Command Build(Option<string?> publicKey)
    {
        var location = new Argument<string>("recording") { Description = "A recording file or a directory of recordings." };
        var command = new Command("verify", "Check hash chain and signatures (and, by session id, the index's seal): exit 0 intact and sealed, 10 truncated, 11 tampered, 12 missing.") { location, publicKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var pem = PublicKeyOption.Load(parse.GetValue(publicKey), console, out var keyError);
            if (pem is null)
            {
                return console.Fail(ExitCodes.PublicKeyUnavailable, keyError!);
            }

            var (sources, exitCode) = await loader.ResolveAsync(parse.GetRequiredValue(location), cancellationToken).ConfigureAwait(false);
            if (exitCode != ExitCodes.Success)
            {
                return exitCode;
            }

            var worst = ExitCodes.Success;
            foreach (var source in sources)
            {
                if (source is MissingRecordingSource missing)
                {
                    console.WriteLine($"{source.Name}: missing: {missing.Detail}");
                    worst = Math.Max(worst, ExitCodes.Missing);
                    continue;
                }

                var (result, code) = await VerifyAsync(source, pem, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    console.WriteLine($"{source.Name}: {result.Detail}");
                }

                worst = Math.Max(worst, code);
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

    public static int ExitCodeOf(VerificationStatus status) => status switch
    {
        VerificationStatus.IntactAndSealed => ExitCodes.Success,
        VerificationStatus.TruncatedAfterCheckpoint => ExitCodes.Truncated,
        _ => ExitCodes.Tampered,
    };
}
