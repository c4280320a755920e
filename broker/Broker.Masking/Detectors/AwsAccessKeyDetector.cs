using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// AWS access key ids (<c>AKIA</c>, <c>ASIA</c>, <c>ABIA</c>, <c>ACCA</c>, <c>A3T?</c> + 16 upper-case
/// letters or digits, word-bounded) and, when enabled, a 40-character secret access key that follows
/// one within <see cref="SecretZone"/> bytes (credentials CSV, <c>aws configure</c> style listings), and the session
/// token right after such a secret.
/// </summary>
internal sealed class AwsAccessKeyDetector(bool ids, bool secrets, bool sessionTokens) : Detector
{
    private const int KeyLength = 20;
    private const int SecretLength = 40;
    private const int SecretZone = 128;
    // Session tokens are several hundred characters; a shorter run after a secret is something else.
    private const int MinSessionToken = 100;

    // AWS's documentation example pair: printed in tutorials and never a live credential.
    private static readonly byte[] s_exampleId = "AKIAIOSFODNN7EXAMPLE"u8.ToArray();
    private static readonly byte[] s_exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"u8.ToArray();

    public override IReadOnlyList<string> Needles { get; } = ["AKIA", "ASIA", "ABIA", "ACCA", "A3T"];

    public override bool HoldsNeedlePrefix => ids;

    public override int Lookback => KeyLength + SecretZone + SecretLength + 4;

    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var bytes = text.Bytes;
        if (index + KeyLength + SecretZone + SecretLength < text.From || !ByteClass.MatchesAt(bytes, index, needle) || ByteClass.IsAlnum(text.At(index - 1)))
        {
            return;
        }

        var end = index;
        while (end < bytes.Length && end - index < KeyLength && IsKeyChar(bytes[end]))
        {
            end++;
        }

        if (end - index < KeyLength)
        {
            if (ids && text.Open(end))
            {
                findings.AddCandidate(index, DetectorNames.AwsAccessKeyId, distinctive: true);
            }

            return;
        }

        if (text.Open(end))
        {
            if (ids)
            {
                findings.AddCandidate(index, DetectorNames.AwsAccessKeyId, distinctive: true);
            }

            return;
        }

        if (ByteClass.IsAlnum(text.At(end)) || bytes.Slice(index, KeyLength).SequenceEqual(s_exampleId))
        {
            return;
        }

        if (ids)
        {
            findings.AddMatch(index, end, DetectorNames.AwsAccessKeyId);
        }

        if (secrets)
        {
            FindSecretNear(text, end, findings);
        }
    }

    public override void OnNeedlePrefix(in ScanText text, int index, string needle, Findings findings)
    {
        if (!ByteClass.IsAlnum(text.At(index - 1)) && ByteClass.MatchesAt(text.Bytes, index, needle))
        {
            findings.AddCandidate(index, DetectorNames.AwsAccessKeyId, distinctive: false);
        }
    }

    /// <summary>Whether <paramref name="value"/> is AWS's documentation example secret, which is never a live credential.</summary>
    public static bool IsDocumentationExample(ReadOnlySpan<byte> value) => value.SequenceEqual(s_exampleSecret);

    /// <summary>Whether <paramref name="value"/> is a plausible secret access key: 40 base64 characters, mixed case (a hex hash is not).</summary>
    public static bool IsSecretAccessKey(ReadOnlySpan<byte> value)
    {
        if (value.Length != SecretLength || value.SequenceEqual(s_exampleSecret))
        {
            return false;
        }

        bool upper = false, lower = false;
        foreach (var b in value)
        {
            if (!ByteClass.IsBase64(b))
            {
                return false;
            }

            upper |= ByteClass.IsUpper(b);
            lower |= ByteClass.IsLower(b);
        }

        return upper && lower;
    }

    private void FindSecretNear(in ScanText text, int keyEnd, Findings findings)
    {
        var bytes = text.Bytes;
        var base64 = text.Classes!.Base64;
        var limit = Math.Min(bytes.Length, keyEnd + SecretZone);
        var i = keyEnd;
        // Runs of base64 characters are read from the text's base64 bitmap: this runs for every access key id of the output,
        // and the zone is mostly short words (`aws_secret_access_key`), where a vector search per word cost its set-up each time.
        while (i < limit)
        {
            var start = ByteClasses.NextSet(base64, i, limit);
            if (start == limit)
            {
                break;
            }

            i = ByteClasses.NextClear(base64, start, Math.Min(start + SecretLength + 1, bytes.Length));
            var boundedBefore = text.At(start - 1) != (byte)'=' && !ByteClass.IsBase64(text.At(start - 1));
            if (!boundedBefore || i - start > SecretLength)
            {
                i = ByteClasses.NextClear(base64, i, bytes.Length);
                continue;
            }

            if (text.Open(i))
            {
                findings.AddCandidate(start, DetectorNames.AwsSecretAccessKey, distinctive: i - start >= 8);
                return;
            }

            if (i - start == SecretLength && text.At(i) != (byte)'=' && IsSecretAccessKey(bytes[start..i]))
            {
                findings.AddMatch(start, i, DetectorNames.AwsSecretAccessKey);
                if (sessionTokens)
                {
                    FindSessionTokenAfter(text, i, findings);
                }
            }
        }
    }

    /// <summary>
    /// A session token right after the secret, separated only by white space or a comma, as in the text and CSV output
    /// of <c>aws sts get-session-token</c> and <c>assume-role</c> (<c>CREDENTIALS  ASIA…  date  secret  token</c>).
    /// </summary>
    private static void FindSessionTokenAfter(in ScanText text, int secretEnd, Findings findings)
    {
        var bytes = text.Bytes;
        var start = secretEnd;
        while (start < bytes.Length && start - secretEnd < 4 && bytes[start] is (byte)'\t' or (byte)' ' or (byte)',')
        {
            start++;
        }

        if (start == secretEnd || start >= bytes.Length)
        {
            if (start > secretEnd && text.Open(start))
            {
                findings.AddCandidate(start, DetectorNames.AwsSessionToken, distinctive: false);
            }

            return;
        }

        var end = start;
        while (end < bytes.Length && (ByteClass.IsBase64(bytes[end]) || bytes[end] == (byte)'='))
        {
            end++;
        }

        if (text.Open(end))
        {
            findings.AddCandidate(start, DetectorNames.AwsSessionToken, distinctive: end - start >= MinSessionToken);
        }
        else if (end - start >= MinSessionToken)
        {
            findings.AddMatch(start, end, DetectorNames.AwsSessionToken);
        }
    }

    private static bool IsKeyChar(byte b) => ByteClass.IsUpper(b) || ByteClass.IsDigit(b);
}
