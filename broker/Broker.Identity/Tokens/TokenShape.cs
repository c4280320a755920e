using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Broker.Identity.Tokens;

/// <summary>
/// The structure of a compact JWS, checked strictly before any cryptography: exactly three
/// base64url segments, JSON objects without duplicate members, registered claims of the right
/// JSON type. The library's own parsing is lenient about several of these (it coerces types and
/// keeps the last duplicate), which is how confusion attacks slip through.
/// </summary>
internal sealed class TokenShape
{
    private static readonly string[] StringClaims = ["iss", "sub", "jti", "azp", "client_id", "scope"];
    private static readonly string[] NumericDateClaims = ["exp", "nbf", "iat", "auth_time"];

    // The year 9999: beyond it DateTime overflows inside the library's lifetime checks.
    private static readonly double MaximumNumericDate = DateTimeOffset.MaxValue.ToUnixTimeSeconds() - 86_400;

    private TokenShape(string algorithm, string? keyId, string issuer, string subject, DateTimeOffset expiresAt, IReadOnlyDictionary<string, IReadOnlyList<string>> claims)
    {
        Algorithm = algorithm;
        KeyId = keyId;
        Issuer = issuer;
        Subject = subject;
        ExpiresAt = expiresAt;
        Claims = claims;
    }

    public string Algorithm { get; }

    public string? KeyId { get; }

    public string Issuer { get; }

    public string Subject { get; }

    public DateTimeOffset ExpiresAt { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Claims { get; }

    public static TokenShape? Parse(string token, IReadOnlyList<string> allowedAlgorithms, out TokenValidationOutcome? failure)
    {
        var span = token.AsSpan();
        var firstDot = span.IndexOf('.');
        var secondDot = firstDot < 0 ? -1 : span[(firstDot + 1)..].IndexOf('.');
        if (firstDot <= 0 || secondDot <= 0)
        {
            failure = Malformed("not a compact JWS (three dot-separated segments)");
            return null;
        }

        secondDot += firstDot + 1;
        var signature = span[(secondDot + 1)..];
        if (signature.IsEmpty || signature.Contains('.'))
        {
            failure = signature.IsEmpty
                ? TokenValidationOutcome.Refused(TokenFailureKind.AlgorithmNotAllowed, "unsigned token")
                : Malformed("not a compact JWS (three dot-separated segments)");
            return null;
        }

        if (!IsBase64Url(signature))
        {
            failure = Malformed("signature is not base64url");
            return null;
        }

        using var header = DecodeObject(span[..firstDot]);
        if (header is null)
        {
            failure = Malformed("header is not a base64url JSON object without duplicate members");
            return null;
        }

        var root = header.RootElement;
        if (!root.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
        {
            failure = Malformed("header has no algorithm");
            return null;
        }

        var algorithm = alg.GetString()!;
        if (!allowedAlgorithms.Contains(algorithm, StringComparer.Ordinal))
        {
            failure = TokenValidationOutcome.Refused(TokenFailureKind.AlgorithmNotAllowed, $"algorithm '{Printable(algorithm)}' is not allowed");
            return null;
        }

        if (root.TryGetProperty("crit", out _) || root.TryGetProperty("enc", out _))
        {
            failure = Malformed("critical header extensions and encrypted tokens are not supported");
            return null;
        }

        string? keyId = null;
        if (root.TryGetProperty("kid", out var kid))
        {
            if (kid.ValueKind != JsonValueKind.String)
            {
                failure = Malformed("header key id is not a string");
                return null;
            }

            keyId = kid.GetString();
        }

        using var payload = DecodeObject(span[(firstDot + 1)..secondDot]);
        if (payload is null)
        {
            failure = Malformed("payload is not a base64url JSON object without duplicate members");
            return null;
        }

        return ReadClaims(payload.RootElement, algorithm, keyId, out failure);
    }

    private static TokenShape? ReadClaims(JsonElement payload, string algorithm, string? keyId, out TokenValidationOutcome? failure)
    {
        foreach (var name in StringClaims)
        {
            if (payload.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.String)
            {
                failure = InvalidClaims($"claim '{name}' is not a string");
                return null;
            }
        }

        foreach (var name in NumericDateClaims)
        {
            if (payload.TryGetProperty(name, out var value) && !IsNumericDate(value))
            {
                failure = InvalidClaims($"claim '{name}' is not a number of seconds within range");
                return null;
            }
        }

        if (payload.TryGetProperty("aud", out var aud) && !IsStringOrStringArray(aud))
        {
            failure = InvalidClaims("claim 'aud' is not a string or an array of strings");
            return null;
        }

        var issuer = payload.TryGetProperty("iss", out var iss) ? iss.GetString() : null;
        var subject = payload.TryGetProperty("sub", out var sub) ? sub.GetString() : null;
        if (string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(subject) || aud.ValueKind == JsonValueKind.Undefined || !payload.TryGetProperty("exp", out var exp))
        {
            failure = InvalidClaims("one of 'iss', 'sub', 'aud', 'exp' is missing or empty");
            return null;
        }

        failure = null;
        return new TokenShape(algorithm, keyId, issuer, subject, DateTimeOffset.FromUnixTimeSeconds((long)exp.GetDouble()), CollectClaims(payload));
    }

    private static bool IsNumericDate(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number &&
        value.TryGetDouble(out var seconds) &&
        seconds >= 0 &&
        seconds <= MaximumNumericDate;

    private static Dictionary<string, IReadOnlyList<string>> CollectClaims(JsonElement payload)
    {
        var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var property in payload.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Array)
            {
                var values = new List<string>(property.Value.GetArrayLength());
                foreach (var element in property.Value.EnumerateArray())
                {
                    if (ScalarText(element) is { } text)
                    {
                        values.Add(text);
                    }
                }

                claims[property.Name] = values;
            }
            else if (ScalarText(property.Value) is { } text)
            {
                claims[property.Name] = [text];
            }
        }

        return claims;
    }

    private static string? ScalarText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static bool IsStringOrStringArray(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ||
        (element.ValueKind == JsonValueKind.Array && element.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String));

    private static JsonDocument? DecodeObject(ReadOnlySpan<char> segment)
    {
        if (segment.IsEmpty || !IsBase64Url(segment))
        {
            return null;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Base64Url.GetMaxDecodedLength(segment.Length));
        try
        {
            if (Base64Url.DecodeFromChars(segment, rented, out _, out var written) != OperationStatus.Done)
            {
                return null;
            }

            var json = rented.AsMemory(0, written);
            if (!HasUniqueTopLevelMembers(json.Span))
            {
                return null;
            }

            var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return null;
            }

            return document;
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool HasUniqueTopLevelMembers(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && !names.Add(reader.GetString()!))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBase64Url(ReadOnlySpan<char> segment)
    {
        foreach (var c in segment)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Printable(string value) =>
        value.Length <= 16 && value.All(char.IsAsciiLetterOrDigit) ? value : "(unprintable)";

    private static TokenValidationOutcome Malformed(string reason) => TokenValidationOutcome.Refused(TokenFailureKind.Malformed, reason);

    private static TokenValidationOutcome InvalidClaims(string reason) => TokenValidationOutcome.Refused(TokenFailureKind.InvalidClaims, reason);
}
