namespace Broker.Masking.Text;

/// <summary>A CSI sequence: private marker, up to <see cref="MaxParameters"/> numeric parameters, final byte.</summary>
internal struct CsiSequence
{
    public const int MaxParameters = 4;

    /// <summary>Raw offset of the sequence's ESC.</summary>
    public long Start;

    public byte Private;
    public byte Intermediate;
    public byte Final;
    public int Count;
    public int P0;
    public int P1;
    public int P2;
    public int P3;

    /// <summary>Parameter <paramref name="index"/>, or <paramref name="fallback"/> when absent or zero.</summary>
    public readonly int Get(int index, int fallback)
    {
        var value = index switch { 0 => P0, 1 => P1, 2 => P2, 3 => P3, _ => 0 };
        return index < Count && value > 0 ? value : fallback;
    }
}
