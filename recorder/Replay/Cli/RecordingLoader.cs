using Recorder;
using Replay.Sources;

namespace Replay.Cli;

/// <summary>Resolves locations to sources and opens recordings, turning expected failures into exit codes and one-line errors.</summary>
internal sealed class RecordingLoader(ReplayConsole console, IReadOnlyList<IRecordingSourceResolver> resolvers)
{
    /// <summary>Budgets for reading (the command's <c>--max-decompressed</c>).</summary>
    public RecordingReaderOptions ReaderOptions { get; set; } = RecordingReaderOptions.Default;

    public async Task<(IReadOnlyList<IRecordingSource> Sources, int ExitCode)> ResolveAsync(string location, CancellationToken cancellationToken)
    {
        foreach (var resolver in resolvers)
        {
            var resolution = await resolver.ResolveAsync(location, cancellationToken).ConfigureAwait(false);
            if (resolution is null)
            {
                continue;
            }

            return resolution.Error is null
                ? (resolution.Sources, ExitCodes.Success)
                : ([], console.Fail(ExitCodes.SourceNotFound, resolution.Error));
        }

        return ([], console.Fail(ExitCodes.SourceNotFound, $"no such file, directory or session: {location}"));
    }

    /// <summary>Resolves a location that must name exactly one recording.</summary>
    public async Task<(IRecordingSource? Source, int ExitCode)> ResolveOneAsync(string location, CancellationToken cancellationToken)
    {
        var (sources, exitCode) = await ResolveAsync(location, cancellationToken).ConfigureAwait(false);
        if (exitCode != ExitCodes.Success)
        {
            return (null, exitCode);
        }

        return sources.Count == 1
            ? (sources[0], ExitCodes.Success)
            : (null, console.Fail(ExitCodes.Usage, $"{location} holds {sources.Count} recordings; name one file"));
    }

    /// <summary>
    /// Opens a recording and hands it to <paramref name="read"/>, which streams its events (nothing
    /// is held in memory here). Returns the exit code: a recording that cannot be opened is reported
    /// in one line. A recording damaged part-way is read up to the damage, then a warning says where
    /// and why: an auditor still wants to see what can be read (`verify` says whether it can be trusted).
    /// </summary>
    public async Task<int> ReadAsync(IRecordingSource source, Func<OpenedRecording, Task> read, CancellationToken cancellationToken, bool warnIfDamaged = true)
    {
        try
        {
            var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = RecordingReader.Open(stream, ReaderOptions);
                var recording = new OpenedRecording(source, reader, cancellationToken);
                await read(recording).ConfigureAwait(false);
                if (warnIfDamaged)
                {
                    WarnIfDamaged(source, reader);
                }

                return ExitCodes.Success;
            }
        }
        catch (RecordingFormatException e)
        {
            return console.Fail(ExitCodes.NotARecording, $"{source.Name}: {UntrustedText.Neutralize(e.Message, 512)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return console.Fail(ExitCodes.SourceNotFound, $"{source.Name}: {e.Message}");
        }
    }

    /// <summary>After a reader stopped: a warning that says where and why, if it stopped before the end of the file.</summary>
    public void WarnIfDamaged(IRecordingSource source, RecordingReader reader)
    {
        if (reader.Damage is { } damage)
        {
            console.Warn(damage.BudgetExceeded
                ? $"{source.Name}: stopped at record {damage.RecordIndex}: {damage.Reason} (raise it with --max-decompressed)"
                : $"{source.Name}: damaged at record {damage.RecordIndex} (byte {damage.FilePosition}), showing the records before it: {UntrustedText.Neutralize(damage.Reason, 512)}");
        }
    }
}

/// <summary>A recording opened for one streaming pass over its events.</summary>
internal sealed class OpenedRecording(IRecordingSource source, RecordingReader reader, CancellationToken cancellationToken)
{
    public IRecordingSource Source => source;

    public RecordingHeader Header => reader.Header;

    /// <summary>The events up to the end or the first damage; enumerate once.</summary>
    public IAsyncEnumerable<RecordedEvent> Events => reader.ReadEventsAsync(cancellationToken);

    /// <summary>After reading: whether a seal was found.</summary>
    public bool Sealed => reader.Sealed;

    /// <summary>After reading: the seal's duration, or the last record's offset.</summary>
    public TimeSpan Duration => reader.Duration;

    /// <summary>After reading: why reading stopped early, if it did.</summary>
    public RecordingDamage? Damage => reader.Damage;
}
