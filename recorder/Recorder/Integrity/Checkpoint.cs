using System.Buffers.Binary;
using System.Security.Cryptography;
using Recorder.Format;

namespace Recorder.Integrity;

/// <summary>
/// The body of a checkpoint or seal frame: ordinal (u64), record count (u64), offset in ns (u64),
/// chain hash (32), key id (32), then a P1363 signature (64) over magic || kind || the first 88 bytes.
/// </summary>
internal readonly record struct Checkpoint(long Ordinal, long RecordCount, long OffsetNanoseconds, byte[] ChainHash, byte[] KeyId, byte[] Signature)
{
    public const int SignedLength = 88;
    public const int BodyLength = SignedLength + 64;

    public static byte[] CreateBody(FrameKind kind, long ordinal, long recordCount, long offset, ReadOnlySpan<byte> chainHash, RecordingSigningKey key)
    {
        var body = new byte[BodyLength];
        WriteBody(body, kind, ordinal, recordCount, offset, chainHash, key);
        return body;
    }

    /// <summary>Writes a signed body into <paramref name="body"/> (<see cref="BodyLength"/> bytes): the writer reuses one frame for every checkpoint.</summary>
    public static void WriteBody(Span<byte> body, FrameKind kind, long ordinal, long recordCount, long offset, ReadOnlySpan<byte> chainHash, RecordingSigningKey key)
    {
        body = body[..BodyLength];
        BinaryPrimitives.WriteInt64LittleEndian(body, ordinal);
        BinaryPrimitives.WriteInt64LittleEndian(body[8..], recordCount);
        BinaryPrimitives.WriteInt64LittleEndian(body[16..], offset);
        chainHash.CopyTo(body[24..]);
        key.KeyId.Span.CopyTo(body[56..]);
        Span<byte> message = stackalloc byte[8 + 1 + SignedLength];
        WriteMessage(message, kind, body);
        key.Sign(message, body[SignedLength..]);
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out Checkpoint checkpoint)
    {
        checkpoint = default;
        if (body.Length != BodyLength)
        {
            return false;
        }

        checkpoint = new Checkpoint(
            BinaryPrimitives.ReadInt64LittleEndian(body),
            BinaryPrimitives.ReadInt64LittleEndian(body[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(body[16..]),
            body.Slice(24, 32).ToArray(),
            body.Slice(56, 32).ToArray(),
            body.Slice(SignedLength, 64).ToArray());
        return true;
    }

    public static bool VerifySignature(FrameKind kind, ReadOnlySpan<byte> body, ECDsa publicKey)
    {
        Span<byte> message = stackalloc byte[8 + 1 + SignedLength];
        WriteMessage(message, kind, body);
        return publicKey.VerifyData(message, body.Slice(SignedLength, 64), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static void WriteMessage(Span<byte> message, FrameKind kind, ReadOnlySpan<byte> body)
    {
        FileLayout.Magic.CopyTo(message);
        message[8] = (byte)kind;
        body[..SignedLength].CopyTo(message[9..]);
    }
}
