namespace Recorder.ObjectStore;

/// <summary>One uploaded byte range of a recording.</summary>
/// <param name="Key">The object's key.</param>
/// <param name="Offset">Where the range starts in the recording.</param>
/// <param name="Size">Its length in bytes.</param>
public sealed record RecordingPart(string Key, long Offset, long Size)
{
    /// <summary>Where the range ends in the recording.</summary>
    public long End => Offset + Size;

    /// <summary>
    /// The parts that make the recording's first bytes without a gap, in order; a part starting past the end
    /// of the ones before it (an upload that failed between two that did not) ends the run.
    /// </summary>
    public static IReadOnlyList<RecordingPart> Contiguous(IEnumerable<RecordingPart> parts)
    {
        var run = new List<RecordingPart>();
        long end = 0;
        foreach (var part in parts.OrderBy(p => p.Offset))
        {
            if (part.Offset != end)
            {
                break;
            }

            run.Add(part);
            end = part.End;
        }

        return run;
    }
}
