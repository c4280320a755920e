using System.Buffers;
using System.Runtime.CompilerServices;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// Secrets named by their key: <c>key=value</c>, <c>key: value</c>, <c>"key": "value"</c>, <c>--key=value</c>,
/// <c>Password=…;</c> in connection strings. The key decides the detector: AWS secret keys and session
/// tokens, JSON secret fields, connection-string passwords, and otherwise any key containing a secret
/// keyword, whose value must then clear a length and entropy threshold.
/// </summary>
internal sealed class KeyValueDetector(Func<string, bool> enabled) : Detector
{
    private const int MaxKey = 128;
    private const int MinKeywordValue = 6;
    private const double MinEntropyBitsPerChar = 2.5;

    private static readonly HashSet<string> s_awsSecretKeys = ["awssecretaccesskey", "secretaccesskey"];
    private static readonly HashSet<string> s_awsSessionKeys = ["awssessiontoken", "sessiontoken", "awssecuritytoken"];
    private static readonly HashSet<string> s_jsonFields =
    [
        "password", "passwd", "secret", "token", "privatekey", "clientsecret", "accesstoken", "refreshtoken",
        "idtoken", "apikey", "secretkey", "authtoken",
    ];
    private static readonly HashSet<string> s_connectionKeys = ["password", "pwd", "passwd"];
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_awsSecretLookup = s_awsSecretKeys.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_awsSessionLookup = s_awsSessionKeys.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_jsonLookup = s_jsonFields.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_connectionLookup = s_connectionKeys.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly string[] s_keywords = ["password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey", "authorization"];

    private static readonly string[] s_authSchemes = ["bearer ", "basic ", "token ", "digest "];
    private static readonly int LongestScheme = s_authSchemes.Max(s => s.Length);

    private readonly bool _awsSecret = enabled(DetectorNames.AwsSecretAccessKey);
    private readonly bool _awsSession = enabled(DetectorNames.AwsSessionToken);
    private readonly bool _json = enabled(DetectorNames.JsonSecretField);
    private readonly bool _connection = enabled(DetectorNames.ConnectionStringPassword);
    private readonly bool _keyword = enabled(DetectorNames.KeywordSecret);

    public override IReadOnlyList<string> Needles { get; } =
        ["password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "accesskey", "private_key", "privatekey", "authorization"];

    public override bool NeedlesIgnoreCase => true;

    public override int Lookback => MaxKey + 16;

    [SkipLocalsInit]
    public override void OnNeedle(in ScanText text, int index, string needle, Findings findings)
    {
        var bytes = text.Bytes;
        var keyStart = index;
        while (keyStart > 0 && index - keyStart < MaxKey && ByteClass.IsKeyChar(bytes[keyStart - 1]))
        {
            keyStart--;
        }

        var keyEnd = index + needle.Length;
        while (keyEnd < bytes.Length && keyEnd - index < MaxKey && ByteClass.IsKeyChar(bytes[keyEnd]))
        {
            keyEnd++;
        }

        if (keyEnd >= bytes.Length)
        {
            return;
        }

        var q = keyEnd;
        var keyQuote = text.At(keyStart - 1);
        var jsonKey = keyQuote == (byte)'"' && text.At(q) == (byte)'"';
        if ((keyQuote is (byte)'"' or (byte)'\'') && text.At(q) == keyQuote)
        {
            q++;
        }

        q = SkipBlanks(text, q);
        var separator = text.At(q);
        if (separator is not ((byte)'=' or (byte)':'))
        {
            return;
        }

        q++;
        if (text.At(q) is (byte)'=' or (byte)'>')
        {
            q++;
        }

        q = SkipBlanks(text, q);
        if (q >= bytes.Length)
        {
            return;
        }

        // A quote and the longest auth scheme are all that can lie between here and the value: a value that must start
        // before From was decided by an earlier scan, its key only re-entered the look-behind.
        if (q + 1 + LongestScheme < text.From)
        {
            return;
        }

        Span<char> keyBuffer = stackalloc char[MaxKey * 2 + 16];
        var key = Normalize(bytes[keyStart..keyEnd], keyBuffer);
        var isAuthorization = key.EndsWith("authorization", StringComparison.Ordinal);
        var quote = bytes[q];
        int valueStart, valueEnd;
        Continuation continuation;
        if (quote is (byte)'"' or (byte)'\'')
        {
            valueStart = q + 1;
            if (isAuthorization)
            {
                valueStart = SkipScheme(bytes, valueStart);
            }

            // A value that starts before From was decided by an earlier scan; its key only re-entered the look-behind.
            if (valueStart < text.From)
            {
                return;
            }

            valueEnd = ClosingQuote(bytes, valueStart, quote);
            continuation = Continuation.UntilQuote;
            if (valueEnd < 0)
            {
                return;
            }
        }
        else
        {
            if (jsonKey || bytes[q] is (byte)'\n' or (byte)'\r')
            {
                return;
            }

            valueStart = isAuthorization ? SkipScheme(bytes, q) : q;
            if (valueStart < text.From)
            {
                return;
            }

            var length = bytes[valueStart..].IndexOfAny(s_terminators);
            valueEnd = length < 0 ? bytes.Length : valueStart + length;

            continuation = Continuation.UntilWhitespace;
        }

        if (text.Open(valueEnd))
        {
            var provisional = ProvisionalName(key, jsonKey, PrecededBySemicolon(bytes, keyStart));
            if (provisional is not null)
            {
                findings.AddCandidate(valueStart, provisional, distinctive: true, continuation);
            }

            return;
        }

        var value = bytes[valueStart..valueEnd];
        var name = Classify(key, value, jsonKey && quote == (byte)'"', text.At(valueEnd) == (byte)';' || PrecededBySemicolon(bytes, keyStart));
        if (name is not null)
        {
            findings.AddMatch(valueStart, valueEnd, name);
        }
    }

    private string? ProvisionalName(ReadOnlySpan<char> key, bool jsonKey, bool connectionForm)
    {
        if (_awsSecret && s_awsSecretLookup.Contains(key))
        {
            return DetectorNames.AwsSecretAccessKey;
        }

        if (_awsSession && s_awsSessionLookup.Contains(key))
        {
            return DetectorNames.AwsSessionToken;
        }

        if (_json && jsonKey && s_jsonLookup.Contains(key))
        {
            return DetectorNames.JsonSecretField;
        }

        if (_connection && s_connectionLookup.Contains(key) && (connectionForm || !_keyword || !IsKeywordKey(key)))
        {
            return DetectorNames.ConnectionStringPassword;
        }

        return _keyword && IsKeywordKey(key) ? DetectorNames.KeywordSecret : null;
    }

    private string? Classify(ReadOnlySpan<char> key, ReadOnlySpan<byte> value, bool jsonString, bool connectionForm)
    {
        if (value.IsEmpty || AwsAccessKeyDetector.IsDocumentationExample(value))
        {
            return null;
        }

        if (_awsSecret && s_awsSecretLookup.Contains(key) && AwsAccessKeyDetector.IsSecretAccessKey(value))
        {
            return DetectorNames.AwsSecretAccessKey;
        }

        if (_awsSession && s_awsSessionLookup.Contains(key) && value.Length >= 16 && IsBase64Text(value))
        {
            return DetectorNames.AwsSessionToken;
        }

        if (_json && jsonString && s_jsonLookup.Contains(key))
        {
            return DetectorNames.JsonSecretField;
        }

        if (_connection && connectionForm && s_connectionLookup.Contains(key))
        {
            return DetectorNames.ConnectionStringPassword;
        }

        return _keyword && IsKeywordKey(key) && value.Length >= MinKeywordValue && Entropy(value) >= MinEntropyBitsPerChar
            ? DetectorNames.KeywordSecret
            : null;
    }

    // The keyword must end the key, or be followed only by one of these (`SECRET_KEY_BASE`, `token_value`):
    // a key that merely mentions one (`HttpTokens`, `password_policy`) describes rather than holds a secret.
    private static readonly string[] s_keywordTails = ["", "key", "keybase", "value", "string", "hash", "salt"];

    private static bool IsKeywordKey(ReadOnlySpan<char> key)
    {
        if (key is "pwd" or "oldpwd")
        {
            return false;
        }

        foreach (var keyword in s_keywords)
        {
            foreach (var tail in s_keywordTails)
            {
                if (key.Length >= keyword.Length + tail.Length && key.EndsWith(tail, StringComparison.Ordinal) &&
                    key[..^tail.Length].EndsWith(keyword, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Shannon entropy in bits per character.</summary>
    /// <remarks>
    /// H = log2(n) − Σ c·log2(c) / n over the byte counts c. Only the counts of bytes in the value are touched
    /// (cleared before and after), so a short value costs a few dozen operations, not a 256-entry table.
    /// </remarks>
    [SkipLocalsInit]
    internal static double Entropy(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return 0;
        }

        Span<int> counts = stackalloc int[256];
        foreach (var b in value)
        {
            counts[b] = 0;
        }

        foreach (var b in value)
        {
            counts[b]++;
        }

        var sum = 0.0;
        foreach (var b in value)
        {
            var count = counts[b];
            if (count > 0)
            {
                sum += count < s_countLog2Count.Length ? s_countLog2Count[count] : count * Math.Log2(count);
                counts[b] = 0;
            }
        }

        return Math.Log2(value.Length) - (sum / value.Length);
    }

    private static readonly double[] s_countLog2Count = [.. Enumerable.Range(0, 128).Select(c => c == 0 ? 0 : c * Math.Log2(c))];

    private static bool IsBase64Text(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (!ByteClass.IsBase64(b) && b != (byte)'=')
            {
                return false;
            }
        }

        return true;
    }

    // Lower-case without separators, so `SecretAccessKey`, `secret_access_key` and `secret-access-key` compare equal.
    private static ReadOnlySpan<char> Normalize(ReadOnlySpan<byte> key, Span<char> buffer)
    {
        var n = 0;
        foreach (var b in key)
        {
            if (b is (byte)'_' or (byte)'-' or (byte)'.')
            {
                continue;
            }

            buffer[n++] = (char)(ByteClass.IsUpper(b) ? b + 32 : b);
        }

        return buffer[..n];
    }

    private static int SkipBlanks(in ScanText text, int i)
    {
        while (text.At(i) is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    private static int SkipScheme(ReadOnlySpan<byte> bytes, int i)
    {
        foreach (var scheme in s_authSchemes)
        {
            if (i + scheme.Length <= bytes.Length && System.Text.Ascii.EqualsIgnoreCase(bytes.Slice(i, scheme.Length), scheme))
            {
                return i + scheme.Length;
            }
        }

        return i;
    }

    /// <summary>Index of the closing quote, the text length when it has not come yet, or -1 when the line ends first.</summary>
    private static int ClosingQuote(ReadOnlySpan<byte> bytes, int from, byte quote)
    {
        var i = from;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == quote)
            {
                return i;
            }

            if (b is (byte)'\n' or (byte)'\r')
            {
                return -1;
            }

            i += b == (byte)'\\' && quote == (byte)'"' ? 2 : 1;
        }

        return bytes.Length;
    }

    private static bool PrecededBySemicolon(ReadOnlySpan<byte> bytes, int keyStart)
    {
        var i = keyStart - 1;
        while (i >= 0 && bytes[i] is (byte)' ' or (byte)'\t')
        {
            i--;
        }

        return i >= 0 && bytes[i] == (byte)';';
    }

    private static readonly SearchValues<byte> s_terminators = SearchValues.Create(" \t\n\r\f\v,;\"'&)]}<>"u8);
}
