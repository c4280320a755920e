namespace Replay.Sources;

/// <summary>
/// Turns what the user typed (a path, a session id...) into recordings. Resolvers are asked in
/// order; the first that recognises the location answers.
/// </summary>
internal interface IRecordingSourceResolver
{
    /// <summary>Null when this resolver does not handle <paramref name="location"/>.</summary>
    ValueTask<SourceResolution?> ResolveAsync(string location, CancellationToken cancellationToken);
}

/// <summary>The recordings a location names, or why there are none.</summary>
internal sealed record SourceResolution(IReadOnlyList<IRecordingSource> Sources, string? Error = null)
{
    public static SourceResolution Failed(string error) => new([], error);
}
