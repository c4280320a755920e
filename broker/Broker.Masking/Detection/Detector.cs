namespace Broker.Masking.Detection;

/// <summary>
/// One detector. A detector either names literal needles (found for it by the shared vectorised
/// pre-filter, which then calls <see cref="OnNeedle"/>) or scans the window itself in <see cref="Scan"/>.
/// Every detector must be streaming-consistent: it reports a match only when no further output can
/// change it, and reports a candidate for every position where further output could still make one.
/// </summary>
internal abstract class Detector
{
    /// <summary>Literal needles (ASCII) the pre-filter finds for this detector.</summary>
    public virtual IReadOnlyList<string> Needles => [];

    /// <summary>
    /// Literal heads of token-shaped secrets, found (case-sensitive) only where a run of token characters starts or
    /// goes on after a separator, in runs long enough to hold a token (see <see cref="AnchoredHeads"/>); found heads
    /// and cut-off heads go to <see cref="OnNeedle"/> and <see cref="OnNeedlePrefix"/> like needles.
    /// </summary>
    public virtual IReadOnlyList<string> AnchoredNeedles => [];

    /// <summary>Whether <see cref="OnAnchor"/> wants every anchor (a shape with no fixed head).</summary>
    public virtual bool AtEveryAnchor => false;

    /// <summary>
    /// A byte that every anchor <see cref="OnAnchor"/> acts on has at a fixed offset from it (null: none): the other
    /// anchors, almost all of them in ordinary output, are not offered at all, except where the text ends before that offset.
    /// </summary>
    public virtual (int Offset, byte Value)? AnchorMarker => null;

    /// <summary>Whether <see cref="Needles"/> match in any letter case (keywords) or exactly (token prefixes).</summary>
    public virtual bool NeedlesIgnoreCase => false;

    /// <summary>Whether a needle's proper prefix at the end of the text is itself a candidate (the needle is part of the secret).</summary>
    public virtual bool HoldsNeedlePrefix => false;

    /// <summary>Whether <see cref="Scan"/> must run (every detector without needles, and those that also look at the text as a whole).</summary>
    public virtual bool Scans => Needles.Count == 0 && AnchoredNeedles.Count == 0 && !AtEveryAnchor;

    /// <summary>How far before <see cref="ScanText.From"/> a needle may sit and still lead to a new match.</summary>
    public virtual int Lookback => 0;

    public virtual void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
    }

    /// <summary>Called for a proper prefix of <paramref name="needle"/> that ends the text, when <see cref="HoldsNeedlePrefix"/>.</summary>
    public virtual void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
    }

    /// <summary>Called at every anchor of a long token run, when <see cref="AtEveryAnchor"/>.</summary>
    public virtual void OnAnchor(in ScanText text, int index, Findings findings)
    {
    }

    public virtual void Scan(in ScanText text, Findings findings)
    {
    }
}
