namespace Broker.Masking.Detection;

/// <summary>
/// What a detector sees in one scan: the shadow window (already released context first), the same
/// bytes widened to Latin-1 chars for multi-string search, and where new matches may begin.
/// </summary>
internal readonly ref struct ScanText
{
    public ScanText(ReadOnlySpan<byte> bytes, ReadOnlySpan<char> chars, int from, bool final)
    {
        Bytes = bytes;
        Chars = chars;
        From = from;
        Final = final;
    }

    public ReadOnlySpan<byte> Bytes { get; }

    public ReadOnlySpan<char> Chars { get; }

    /// <summary>Matches and candidates starting before this index were decided by an earlier scan.</summary>
    public int From { get; }

    /// <summary>No more bytes will come: every candidate must be decided now.</summary>
    public bool Final { get; }

    public int Length => Bytes.Length;

    /// <summary>True when the text ends at <paramref name="index"/> and more may still come.</summary>
    public bool Open(int index) => index >= Bytes.Length && !Final;

    public byte At(int index) => index >= 0 && index < Bytes.Length ? Bytes[index] : (byte)0;
}
