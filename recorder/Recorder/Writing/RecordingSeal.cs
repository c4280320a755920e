namespace Recorder;

/// <summary>
/// What a recording's seal committed to, as the writer wrote it: kept by the broker's index so that a
/// file later replaced by another validly signed one, or cut and re-sealed, no longer matches.
/// </summary>
/// <param name="RecordCount">Records the seal covers.</param>
/// <param name="ChainHash">The hash chain's value over all of them (32 bytes, SHA-256).</param>
/// <param name="Length">Bytes of the recording, from its magic to the end of the seal.</param>
public sealed record RecordingSeal(long RecordCount, ReadOnlyMemory<byte> ChainHash, long Length)
{
    /// <summary><see cref="ChainHash"/> as lowercase hex.</summary>
    public string ChainHashHex => Convert.ToHexStringLower(ChainHash.Span);
}
