using Recorder;
using Replay.Sources;

namespace Replay.Cli;

/// <summary>Resolves locations to sources and opens recordings, turning expected failures into exit codes and one-line errors.</summary>
internal sealed class RecordingLoader(ReplayConsole console, IReadOnlyList<IRecordingSourceResolver> resolvers)
{
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
    /// Reads a whole recording into memory; null (after reporting) when it cannot be opened. A
    /// recording damaged part-way is returned up to the damage, with a warning: an auditor still
    /// wants to see what can be read (`verify` says whether it can be trusted).
    /// </summary>
    public async Task<(LoadedRecording? Recording, int ExitCode)> LoadAsync(IRecordingSource source, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = RecordingReader.Open(stream);
                var events = new List<RecordedEvent>();
                try
                {
                    await foreach (var recorded in reader.ReadEventsAsync(cancellationToken).ConfigureAwait(false))
                    {
                        events.Add(recorded);
                    }
                }
                catch (RecordingFormatException e)
                {
                    console.Error.WriteLine($"replay: warning: {source.Name}: damaged after record {events.Count - 1}, showing what precedes it: {e.Message}");
                }

                var duration = reader.Sealed ? reader.Duration : TimeSpan.FromTicks((events.Count == 0 ? 0 : events[^1].OffsetNanoseconds) / 100);
                return (new LoadedRecording(source, reader.Header, events, reader.Sealed, duration), ExitCodes.Success);
            }
        }
        catch (RecordingFormatException e)
        {
            return (null, console.Fail(ExitCodes.NotARecording, $"{source.Name}: {e.Message}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, console.Fail(ExitCodes.SourceNotFound, $"{source.Name}: {e.Message}"));
        }
    }
}

/// <summary>A recording read into memory.</summary>
internal sealed record LoadedRecording(IRecordingSource Source, RecordingHeader Header, IReadOnlyList<RecordedEvent> Events, bool Sealed, TimeSpan Duration)
{
    public IEnumerable<CommandEvent> Commands => Events.OfType<CommandEvent>();
}
