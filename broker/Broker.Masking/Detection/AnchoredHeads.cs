using System.Numerics;

namespace Broker.Masking.Detection;

/// <summary>
/// The heads of token-shaped secrets (a prefix such as <c>ghp_</c>, a JWT's <c>eyJ</c>, a DER key's <c>MI</c>) and
/// where they are looked for: only where a run of token characters starts or goes on after a separator
/// (<c>MY_ghp_…</c>), and only in runs long enough to hold a token (<see cref="TokenRuns"/>) or in the run the text
/// ends with, which may still grow. That keeps a search for some two hundred heads off the ordinary text: a pair
/// table of first two bytes answers almost every anchor at once.
/// </summary>
internal sealed class AnchoredHeads
{
    private readonly ulong[] _pairs = new ulong[1024];
    // The heads of each pair in the bit set, in the order of its bits: a pair's index is the number of set bits before it
    // (the count before its word, plus those below it in the word), so no hash lookup is made at an anchor.
    private readonly int[] _pairsBefore = new int[1024];
    private readonly Head[][] _byPair;
    private readonly Head[][] _byFirst = new Head[256][];
    // The heads of each first byte whose detector holds a prefix: a lone last byte can only be such a prefix.
    private readonly Head[][] _heldByFirst = new Head[256][];
    // The detectors that look at every anchor, with the byte each needs at an offset from it (-1: any).
    private readonly (Detector Detector, int Offset, int Marker)[] _everyAnchor;
    private readonly int _longestHead;
    private readonly HeadFilter _filter;

    public AnchoredHeads(IReadOnlyList<Detector> detectors)
    {
        var heads = detectors.SelectMany(d => d.AnchoredNeedles.Select(n => new Head(n, d, d.HoldsNeedlePrefix))).ToArray();
        foreach (var head in heads)
        {
            var pair = Pair(head.Text[0], head.Text[1]);
            _pairs[pair >> 6] |= 1UL << (pair & 63);
        }

        for (var w = 1; w < _pairs.Length; w++)
        {
            _pairsBefore[w] = _pairsBefore[w - 1] + BitOperations.PopCount(_pairs[w - 1]);
        }

        _byPair = [.. heads.GroupBy(h => Pair(h.Text[0], h.Text[1])).OrderBy(g => g.Key).Select(g => g.ToArray())];
        for (var b = 0; b < _byFirst.Length; b++)
        {
            _byFirst[b] = [.. heads.Where(h => h.Text[0] == b)];
            _heldByFirst[b] = [.. _byFirst[b].Where(h => h.HoldsPrefix)];
        }

        _everyAnchor = [.. detectors.Where(d => d.AtEveryAnchor).Select(d => d.AnchorMarker is { } m ? (d, m.Offset, (int)m.Value) : (d, 0, -1))];
        _filter = new HeadFilter(heads.Select(h => h.Text), detectors.Where(d => d.AtEveryAnchor).Select(d => d.AnchorMarker));
        _longestHead = heads.Length == 0 ? 8 : Math.Max(8, heads.Max(h => h.Text.Length));
        IsEmpty = heads.Length == 0 && _everyAnchor.Length == 0;
    }

    public bool IsEmpty { get; }

    public void Scan(in ScanText text, Findings findings)
    {
        var bytes = text.Bytes;
        // The run the text ends with may still grow into a token, however short it is yet: every anchor of it counts.
        var open = text.Final ? bytes.Length : text.TokenTail;
        // A head cut by the previous chunk and released (too short to hold) starts a little before the new text; of the
        // anchors there, only those from the first that did something last time are looked at again.
        var lower = Math.Max(0, text.From - _longestHead);
        var from = findings.Anchors.Start(findings.Origin, lower);
        findings.Anchors.Begin(findings.Origin, lower, bytes.Length);
        var visitor = new AnchorVisitor(this, text, findings);
        TokenRuns.ForEachAnchor(text.Classes!, from, bytes.Length, open, ref visitor);
    }

    private void Check(in ScanText text, int anchor, Findings findings)
    {
        if (Offer(text, anchor, findings))
        {
            findings.Anchors.Active(findings.Origin, anchor);
        }
    }

    /// <summary>
    /// Offers the anchor to the detectors that want it; false when nothing was called and no head is there, whole or cut by
    /// the text's end: then nothing is called there in any later search either.
    /// </summary>
    private bool Offer(in ScanText text, int anchor, Findings findings)
    {
        var bytes = text.Bytes;
        var offered = false;
        foreach (var (detector, offset, marker) in _everyAnchor)
        {
            if (marker < 0 || text.At(anchor + offset) == marker || text.Open(anchor + offset))
            {
                detector.OnAnchor(text, anchor, findings);
                offered = true;
            }
        }

        var left = bytes.Length - anchor;
        if (left >= 2)
        {
            var pair = Pair(bytes[anchor], bytes[anchor + 1]);
            var word = _pairs[pair >> 6];
            var bit = 1UL << (pair & 63);
            if ((word & bit) == 0)
            {
                return offered;
            }

            foreach (var head in _byPair[_pairsBefore[pair >> 6] + BitOperations.PopCount(word & (bit - 1))])
            {
                offered |= Offer(text, anchor, head, findings);
            }

            return offered;
        }

        if (left == 1 && !text.Final && _byFirst[bytes[anchor]].Length > 0)
        {
            // Every head is at least two bytes long and begins with this byte: each is a prefix ending the text, offered
            // where its detector holds one (so the others are not walked at every push that ends one byte into a word).
            foreach (var head in _heldByFirst[bytes[anchor]])
            {
                head.Detector.OnNeedlePrefix(text, anchor, head.Text, findings);
            }

            return true;
        }

        return offered;
    }

    /// <summary>
    /// The head is there whole (a needle), or the text ends inside it (a prefix that may still become one, true even where
    /// it is not offered). False when the text's bytes differ from the head's: they never change once appended, so the
    /// anchor need not be looked at again for this head (an anchor whose first two bytes are some head's but whose next
    /// are not used to count as active, and the next push looked at every anchor of the look-behind from it again).
    /// </summary>
    private static bool Offer(in ScanText text, int anchor, Head head, Findings findings)
    {
        var rest = text.Bytes[anchor..];
        if (!ByteClass.MatchesAt(rest, 0, head.Text))
        {
            return false;
        }

        if (rest.Length >= head.Text.Length)
        {
            head.Detector.OnNeedle(text, anchor, head.Text, findings);
        }
        else if (!text.Final && head.HoldsPrefix)
        {
            head.Detector.OnNeedlePrefix(text, anchor, head.Text, findings);
        }

        return true;
    }

    private static int Pair(int first, int second) => (first & 0xFF) | ((second & 0xFF) << 8);

    // HoldsPrefix: the detector's HoldsNeedlePrefix, read once rather than at every offer.
    private sealed record Head(string Text, Detector Detector, bool HoldsPrefix);

    private readonly ref struct AnchorVisitor(AnchoredHeads heads, ScanText text, Findings findings) : IAnchorVisitor
    {
        private readonly ScanText _text = text;

        public void Anchor(int position) => heads.Check(_text, position, findings);

        public ulong Worth(int block, ulong anchors) => heads._filter.Keep(_text.Bytes, block, anchors);
    }
}
