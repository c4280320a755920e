using System.Runtime.CompilerServices;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// What a key says about its value: the detector a value belongs to, given its key (normalised: lower case,
/// no separators), where it stands, and what it looks like.
/// </summary>
internal sealed class SecretKeys(Func<string, bool> enabled)
{
    private const int MinKeywordValue = 6;
    private const double MinEntropyBitsPerChar = 2.5;
    private const int MinAzureKey = 20;

    private static readonly HashSet<string> s_awsSecretKeys = ["awssecretaccesskey", "secretaccesskey"];
    private static readonly HashSet<string> s_awsSessionKeys = ["awssessiontoken", "sessiontoken", "awssecuritytoken"];
    private static readonly HashSet<string> s_jsonFields =
    [
        "password", "passwd", "passphrase", "secret", "token", "privatekey", "clientsecret", "accesstoken", "refreshtoken",
        "idtoken", "apikey", "secretkey", "authtoken",
    ];
    private static readonly HashSet<string> s_connectionKeys = ["password", "pwd", "passwd"];
    private static readonly HashSet<string> s_azureKeys = ["accountkey", "sharedaccesskey"];
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_awsSecretLookup = s_awsSecretKeys.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_awsSessionLookup = s_awsSessionKeys.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_jsonLookup = s_jsonFields.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_connectionLookup = s_connectionKeys.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_azureLookup = s_azureKeys.GetAlternateLookup<ReadOnlySpan<char>>();

    // The keyword must end the key, or be followed only by one of these (`SECRET_KEY_BASE`, `token_value`):
    // a key that merely mentions one (`HttpTokens`, `password_policy`) describes rather than holds a secret.
    private static readonly string[] s_keywords =
    [
        "password", "passwd", "passphrase", "pass", "pwd", "secret", "token", "apikey", "accesskey", "privatekey", "authorization",
        "appkey", "adminkey", "masterkey", "signingkey", "encryptionkey", "pat",
    ];
    private static readonly string[] s_keywordTails = ["", "key", "keybase", "value", "string", "hash", "salt"];

    private readonly bool _awsSecret = enabled(DetectorNames.AwsSecretAccessKey);
    private readonly bool _awsSession = enabled(DetectorNames.AwsSessionToken);
    private readonly bool _json = enabled(DetectorNames.JsonSecretField);
    private readonly bool _connection = enabled(DetectorNames.ConnectionStringPassword);
    private readonly bool _keyword = enabled(DetectorNames.KeywordSecret);
    private readonly bool _azure = enabled(DetectorNames.AzureStorageKey);

    /// <summary>Where a key and its value stand.</summary>
    public readonly record struct Form(bool JsonKey, bool ConnectionString);

    /// <summary>The detector a value after this key would belong to, before the value is complete (it starts with <paramref name="start"/>); null when none.</summary>
    public string? Provisional(ReadOnlySpan<char> key, ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> start, Form form)
    {
        if (!start.IsEmpty && IsPath(key, start))
        {
            return null;
        }

        if (_awsSecret && s_awsSecretLookup.Contains(key))
        {
            return DetectorNames.AwsSecretAccessKey;
        }

        if (_awsSession && s_awsSessionLookup.Contains(key))
        {
            return DetectorNames.AwsSessionToken;
        }

        if (_azure && s_azureLookup.Contains(key))
        {
            return DetectorNames.AzureStorageKey;
        }

        if (_json && form.JsonKey && s_jsonLookup.Contains(key))
        {
            return DetectorNames.JsonSecretField;
        }

        var keyword = _keyword && IsKeywordKey(key, rawKey);
        if (_connection && s_connectionLookup.Contains(key) && (form.ConnectionString || !keyword))
        {
            return DetectorNames.ConnectionStringPassword;
        }

        return keyword ? DetectorNames.KeywordSecret : null;
    }

    /// <summary>The detector the complete <paramref name="value"/> belongs to; null when it is not a secret.</summary>
    public string? Classify(ReadOnlySpan<char> key, ReadOnlySpan<byte> rawKey, ReadOnlySpan<byte> value, bool jsonString, bool connectionForm)
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

        if (_azure && s_azureLookup.Contains(key) && value.Length >= MinAzureKey && IsBase64Text(value))
        {
            return DetectorNames.AzureStorageKey;
        }

        if (_json && jsonString && s_jsonLookup.Contains(key))
        {
            return DetectorNames.JsonSecretField;
        }

        if (_connection && connectionForm && s_connectionLookup.Contains(key))
        {
            return DetectorNames.ConnectionStringPassword;
        }

        return _keyword && IsKeywordKey(key, rawKey) && !IsPath(key, value) && value.Length >= MinKeywordValue && Entropy(value) >= MinEntropyBitsPerChar
            ? DetectorNames.KeywordSecret
            : null;
    }

    private static bool IsKeywordKey(ReadOnlySpan<char> key, ReadOnlySpan<byte> rawKey)
    {
        // Tails outside: a key ends with one or two of the seven tails, so most of the keyword tests are never made.
        foreach (var tail in s_keywordTails)
        {
            if (!key.EndsWith(tail, StringComparison.Ordinal))
            {
                continue;
            }

            var stem = key[..^tail.Length];
            foreach (var keyword in s_keywords)
            {
                if (stem.EndsWith(keyword, StringComparison.Ordinal) &&
                    (keyword is not ("pass" or "pat") || StandsAlone(rawKey, keyword.Length, tail.Length)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// `DB_PASS`, `pass`, `--pass`, `AZURE_DEVOPS_PAT`: not `bypass`, `compass` or `COMPAT`, where the letters before a short
    /// keyword make another word.
    /// </summary>
    private static bool StandsAlone(ReadOnlySpan<byte> rawKey, int keywordLength, int tailLength)
    {
        // The tail was counted without separators; walk back over it and any separators in the raw key.
        var end = rawKey.Length;
        var letters = 0;
        while (end > 0 && letters < tailLength)
        {
            if (ByteClass.IsAlnum(rawKey[--end]))
            {
                letters++;
            }
        }

        while (end > 0 && !ByteClass.IsAlnum(rawKey[end - 1]))
        {
            end--;
        }

        var start = end - keywordLength;
        if (start <= 0)
        {
            return start == 0;
        }

        var before = rawKey[start - 1];
        var camelBoundary = ByteClass.IsLower(before) && ByteClass.IsUpper(rawKey[start]);
        return camelBoundary || (!ByteClass.IsUpper(before) && !ByteClass.IsLower(before));
    }

    // `PWD=/home/agent` and `OLDPWD=~/src` are the shell's working directories, not passwords.
    private static bool IsPath(ReadOnlySpan<char> key, ReadOnlySpan<byte> value) =>
        key.EndsWith("pwd", StringComparison.Ordinal) && value[0] is (byte)'/' or (byte)'~' or (byte)'.';

    /// <summary>Shannon entropy in bits per character.</summary>
    /// <remarks>
    /// H = log2(n) − Σ c·log2(c) / n over the byte counts c. Only the counts of bytes in the value are touched
    /// (cleared before and after), so a short value costs a few dozen operations, not a 256-entry table.
    /// </remarks>
    // The counts of the value's own bytes are zeroed by hand below: clearing all 256 on every call cost more than the rest.
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

    internal static bool IsBase64Text(ReadOnlySpan<byte> value)
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

    /// <summary>Lower-case without separators, so <c>SecretAccessKey</c>, <c>secret_access_key</c> and <c>secret-access-key</c> compare equal.</summary>
    public static ReadOnlySpan<char> Normalize(ReadOnlySpan<byte> key, Span<char> buffer)
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
}
