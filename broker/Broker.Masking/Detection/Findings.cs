namespace Broker.Masking.Detection;

/// <summary>
/// A decided match: shadow range [<paramref name="Start"/>, <paramref name="End"/>) is masked as <paramref name="Name"/>.
/// <paramref name="Latch"/>, when set, says the region goes on past <paramref name="End"/> until that continuation ends it.
/// </summary>
internal readonly record struct Match(int Start, int End, string Name, Continuation? Latch);

/// <summary>
/// A candidate that needs more output: it may become a match starting at <paramref name="Start"/>.
/// <paramref name="Distinctive"/> says it already looks enough like its secret to be masked rather
/// than released when the hold delay fires.
/// </summary>
internal readonly record struct Candidate(int Start, string Name, bool Distinctive, Continuation Continuation);

/// <summary>What one scan found; reused between scans so scanning does not allocate.</summary>
internal sealed class Findings
{
    private readonly ByteClasses _classes = new();
    private int _from;

    public List<Match> Matches { get; } = [];

    /// <summary>Absolute shadow offset of index 0 of the text being scanned.</summary>
    public long Origin { get; private set; }

    /// <summary>The needle hits of this stream's last search, so the look-behind is not searched again needlessly.</summary>
    public NeedleMemory Needles { get; } = new();

    /// <summary>Where this stream's last anchored-head search found anchors that did something, so the look-behind is not checked again needlessly.</summary>
    public AnchorMemory Anchors { get; } = new();

    public List<Candidate> Candidates { get; } = [];

    /// <summary>Where the scan's candidate pass found that a needle or a registered secret may start (scratch, reused).</summary>
    public List<int> Heads { get; } = [];

    /// <summary>
    /// The candidate pass for the registered secrets this stream was last scanned with, so it is looked up once per
    /// snapshot rather than per scan (a stream's findings serve one profile only).
    /// </summary>
    public (Detectors.RegisteredSecrets? Secrets, CandidatePass? Pass) LastPass { get; set; }

    /// <summary>
    /// The last whole run of key characters (<c>aws_secret_access_key</c>) the key-value detector judged in this scan:
    /// another needle inside it (<c>secret</c>, then <c>access_key</c>) finds the same key and reaches the same decision.
    /// Empty (0, 0) at the start of every scan.
    /// </summary>
    public (int Start, int End) JudgedKey { get; set; }

    /// <summary>The byte classes of a text scanned without classes of its own (scratch, reused).</summary>
    public ByteClasses ClassesOf(ReadOnlySpan<byte> bytes)
    {
        _classes.Reset();
        return _classes.Extend(bytes);
    }

    public void Reset(int from, long origin)
    {
        _from = from;
        Origin = origin;
        JudgedKey = default;
        Matches.Clear();
        Candidates.Clear();
    }

    /// <summary>
    /// A match that ends before the scan's start was decided by an earlier scan. One that starts before it and ends
    /// after it began in text released when nothing there could yet be told from ordinary output (a prefix cut after
    /// its first characters): the part not yet released is masked.
    /// </summary>
    public void AddMatch(int start, int end, string name, Continuation? latch = null)
    {
        start = Math.Max(start, _from);
        if (end > start)
        {
            Matches.Add(new Match(start, end, name, latch));
        }
    }

    /// <summary>A candidate that starts in released text holds what is not released yet (see <see cref="AddMatch"/>).</summary>
    public void AddCandidate(int start, string name, bool distinctive, Continuation continuation = Continuation.UntilWhitespace)
    {
        Candidates.Add(new Candidate(Math.Max(start, _from), name, distinctive, continuation));
    }
}
