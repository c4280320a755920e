using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>What the start of a base64 text says it encodes.</summary>
internal enum KeyShape
{
    /// <summary>Not enough characters yet to tell.</summary>
    Undecided,

    /// <summary>A private key: DER with a version first (PKCS#1, SEC 1, PKCS#8, PKCS#12), encrypted PKCS#8, an OpenSSH or SSH2 key, or a PEM private key block.</summary>
    Private,

    /// <summary>Something public: a certificate, a public key, a signing request (a DER sequence that opens with another sequence).</summary>
    Public,

    /// <summary>Neither: any other data.</summary>
    Other,
}

/// <summary>Recognises key material by its encoded bytes rather than by the armour lines around it.</summary>
internal static class KeyShapes
{
    /// <summary>Characters to decode before judging: enough for a long-form sequence header, an inner sequence and an OID.</summary>
    public const int Probe = 40;

    private static ReadOnlySpan<byte> OpenSshMagic => "openssh-key-v1\0"u8;

    private static ReadOnlySpan<byte> Ssh2Magic => [0x3F, 0x6F, 0xF9, 0xEB];

    private static ReadOnlySpan<byte> PemBegin => "-----BEGIN "u8;

    // PKCS#5 PBES2 and PKCS#12 password-based encryption: the algorithm of an encrypted PKCS#8 key.
    private static ReadOnlySpan<byte> Pbes2Oid => [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D];

    private static ReadOnlySpan<byte> Pkcs12PbeOid => [0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01];

    /// <summary>Judges the base64 text <paramref name="encoded"/> (the start of a run); <paramref name="complete"/> says the run ends there.</summary>
    public static KeyShape Judge(ReadOnlySpan<byte> encoded, bool complete)
    {
        Span<byte> decoded = stackalloc byte[Probe];
        var n = Decode(encoded[..Math.Min(encoded.Length, Probe)], decoded);
        var shape = JudgeDecoded(decoded[..n], complete || n == Probe);
        return shape == KeyShape.Undecided && (complete || n == Probe) ? KeyShape.Other : shape;
    }

    private static KeyShape JudgeDecoded(ReadOnlySpan<byte> bytes, bool complete)
    {
        if (bytes.IsEmpty)
        {
            return KeyShape.Undecided;
        }

        if (Prefix(bytes, OpenSshMagic) is { } openSsh)
        {
            return openSsh;
        }

        if (Prefix(bytes, Ssh2Magic) is { } ssh2)
        {
            return ssh2;
        }

        if (bytes[0] == (byte)'-')
        {
            // A PEM block encoded once more (a Kubernetes secret's tls.key).
            var begin = Prefix(bytes, PemBegin);
            if (begin != KeyShape.Private)
            {
                return begin ?? KeyShape.Other;
            }

            var label = bytes[PemBegin.Length..];
            var dashes = label.IndexOf((byte)'-');
            if (dashes < 0)
            {
                return KeyShape.Undecided;
            }

            return label[..dashes].IndexOf("PRIVATE KEY"u8) >= 0 ? KeyShape.Private : KeyShape.Public;
        }

        return bytes[0] == 0x30 ? JudgeDer(bytes, complete) : KeyShape.Other;
    }

    private static KeyShape JudgeDer(ReadOnlySpan<byte> der, bool complete)
    {
        if (der.Length < 2)
        {
            return complete ? KeyShape.Other : KeyShape.Undecided;
        }

        var header = der[1] switch
        {
            < 0x80 => 2,
            0x81 => 3,
            0x82 => 4,
            0x83 => 5,
            _ => -1,
        };
        if (header < 0)
        {
            return KeyShape.Other;
        }

        if (der.Length < header + 3)
        {
            return complete ? KeyShape.Other : KeyShape.Undecided;
        }

        var body = der[header..];
        // A version number first: RSA and DSA (PKCS#1) and PKCS#8 keys have 0, EC keys (SEC 1) and PKCS#8 v2 have 1, PKCS#12 has 3.
        if (body[0] == 0x02 && body[1] == 0x01)
        {
            return body[2] is 0x00 or 0x01 or 0x03 ? KeyShape.Private : KeyShape.Other;
        }

        if (body[0] != 0x30)
        {
            return KeyShape.Other;
        }

        // A sequence inside: a certificate, a public key, a signing request, unless its algorithm is password-based encryption.
        var inner = body[1] switch
        {
            < 0x80 => 2,
            0x81 => 3,
            0x82 => 4,
            _ => -1,
        };
        if (inner < 0)
        {
            return KeyShape.Public;
        }

        var algorithm = body[Math.Min(inner, body.Length)..];
        if (algorithm.Length < Pbes2Oid.Length)
        {
            return complete ? KeyShape.Public : KeyShape.Undecided;
        }

        return algorithm.StartsWith(Pbes2Oid) || algorithm.StartsWith(Pkcs12PbeOid) ? KeyShape.Private : KeyShape.Public;
    }

    private static KeyShape? Prefix(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> magic)
    {
        var shared = Math.Min(bytes.Length, magic.Length);
        if (!bytes[..shared].SequenceEqual(magic[..shared]))
        {
            return null;
        }

        return shared == magic.Length ? KeyShape.Private : KeyShape.Undecided;
    }

    /// <summary>Decodes whole base64 groups of <paramref name="encoded"/> (standard or URL alphabet, no padding needed).</summary>
    private static int Decode(ReadOnlySpan<byte> encoded, Span<byte> output)
    {
        var n = 0;
        var bits = 0;
        var buffer = 0;
        foreach (var c in encoded)
        {
            var value = Value(c);
            if (value < 0)
            {
                break;
            }

            buffer = (buffer << 6) | value;
            bits += 6;
            if (bits >= 8 && n < output.Length)
            {
                bits -= 8;
                output[n++] = (byte)(buffer >> bits);
                buffer &= (1 << bits) - 1;
            }
        }

        return n;
    }

    private static int Value(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'+' or (byte)'-' => 62,
        (byte)'/' or (byte)'_' => 63,
        _ => -1,
    };

    /// <summary>
    /// Whether a run that begins with <paramref name="first"/> may be judged <see cref="KeyShape.Public"/>: that takes a DER
    /// sequence (0x30) or a PEM line's dash (0x2D) as the first decoded byte, whose top six bits encode as 'M' or 'L'. Most
    /// words at a line's start (an open line the key-body detector holds) are thus not decoded at all.
    /// </summary>
    public static bool MayBePublic(byte first) => first is (byte)'L' or (byte)'M';

    /// <summary>Whether <paramref name="b"/> is a base64 character, padding included.</summary>
    public static bool IsBase64(byte b) => ByteClass.IsBase64(b) || b == (byte)'=';
}
