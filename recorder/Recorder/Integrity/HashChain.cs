using System.Security.Cryptography;
using Recorder.Format;

namespace Recorder.Integrity;

/// <summary>
/// h0 = SHA-256("BRKREC-CHAIN-V1" || header body); h(i+1) = SHA-256(h(i) || record i's bytes).
/// A checkpoint signs h(n) for the first n records, so every earlier byte is committed.
/// </summary>
internal sealed class HashChain : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _current = new byte[32];

    public HashChain(ReadOnlySpan<byte> headerBody)
    {
        _hash.AppendData(FileLayout.ChainDomain);
        _hash.AppendData(headerBody);
        _hash.GetHashAndReset(_current);
    }

    public ReadOnlySpan<byte> Current => _current;

    public void Append(ReadOnlySpan<byte> record)
    {
        _hash.AppendData(_current);
        _hash.AppendData(record);
        _hash.GetHashAndReset(_current);
    }

    public void Dispose() => _hash.Dispose();
}
