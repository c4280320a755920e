namespace Broker.Masking.Detection;

/// <summary>
/// What a detector sees in one scan: the shadow window (already released context first) and where new
/// matches may begin.
/// </summary>
internal readonly ref struct ScanText
{
    public ScanText(ReadOnlySpan<byte> bytes, int from, bool final)
    {
        Bytes = bytes;
        From = from;
        Final = final;
    }

    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>
    /// The byte classes of <see cref="Bytes"/>, kept with a view's text so that each byte is classified once; set for
    /// every text <see cref="MaskingProfile"/> hands its detectors (it classifies a text that comes without them).
    /// </summary>
    public ByteClasses? Classes { get; init; }

    /// <summary>Matches and candidates starting before this index were decided by an earlier scan.</summary>
    public int From { get; }

    /// <summary>No more bytes will come: every candidate must be decided now.</summary>
    public bool Final { get; }

    public int Length => Bytes.Length;

    /// <summary>
    /// Where the run of token characters the text ends with starts (<see cref="Length"/> when the text ends otherwise): the
    /// part of the text that may still grow into a token. Read from <see cref="Classes"/>, a few word operations.
    /// </summary>
    public int TokenTail => ByteClasses.RunStart(Classes!.Token, Bytes.Length);

    /// <summary>Where the run of base64 characters the text ends with starts (<see cref="Length"/> when the text ends otherwise).</summary>
    public int Base64Tail => ByteClasses.RunStart(Classes!.Base64, Bytes.Length);

    /// <summary>True when the text ends at <paramref name="index"/> and more may still come.</summary>
    public bool Open(int index) => index >= Bytes.Length && !Final;

    public byte At(int index) => index >= 0 && index < Bytes.Length ? Bytes[index] : (byte)0;
}
