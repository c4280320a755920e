using Broker.Masking.Emission;

namespace Broker.Masking.Views;

/// <summary>
/// One way of reading a session's output (as a line of text, one channel's text, string payloads, the
/// screen). Each view decides what it can; the masker masks the union of what the views decided and
/// releases only what no view still holds back.
/// </summary>
internal interface IMaskView
{
    /// <summary>Adds what is decided to <paramref name="plan"/>; returns the raw offset before which this view holds nothing back.</summary>
    long Decide(MaskPlan plan, long rawEnd, bool final);

    /// <summary>The hold delay passed without output: adds the held candidate that qualifies for masking, if any.</summary>
    void Flush(MaskPlan plan, long rawEnd);

    /// <summary>The hold bound was reached: masks the leftmost held candidate from its start on; false when nothing is held.</summary>
    bool Commit(MaskPlan plan, long rawEnd);

    /// <summary>Everything before <paramref name="rawReleased"/> has been written out.</summary>
    void Released(long rawReleased);

    /// <summary>Drops text no longer needed, keeping at least what starts at <paramref name="keepAtLeast"/> (a shadow position).</summary>
    void Compact(long keepAtLeast);

    /// <summary>Gives buffers back to the pool.</summary>
    void Release();
}
