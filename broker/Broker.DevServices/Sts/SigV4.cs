using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Broker.DevServices.Sts;

/// <summary>An AWS Signature Version 4 <c>Authorization</c> header, parsed.</summary>
internal sealed record SigV4Authorization(
    string AccessKeyId,
    string Date,
    string Region,
    string Service,
    IReadOnlyList<string> SignedHeaders,
    string Signature)
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    public string Scope => $"{Date}/{Region}/{Service}/aws4_request";

    public static SigV4Authorization? Parse(string? header)
    {
        if (header is null || !header.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = header[(Algorithm.Length + 1)..]
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => part.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) ||
            !fields.TryGetValue("SignedHeaders", out var signedHeaders) ||
            !fields.TryGetValue("Signature", out var signature))
        {
            return null;
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return null;
        }

        return new SigV4Authorization(scope[0], scope[1], scope[2], scope[3], signedHeaders.Split(';'), signature);
    }

    /// <summary>Recomputes the signature of <paramref name="request"/> with <paramref name="secretAccessKey"/> and compares.</summary>
    public bool Verify(HttpRequest request, string rawTarget, ReadOnlySpan<byte> body, string secretAccessKey)
    {
        var amzDate = request.Headers["x-amz-date"].ToString();
        if (amzDate.Length < 8 || !amzDate.StartsWith(Date, StringComparison.Ordinal) || !SignedHeaders.Contains("host"))
        {
            return false;
        }

        var stringToSign = string.Join('\n', Algorithm, amzDate, Scope, Hex(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalRequest(request, rawTarget, body)))));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Date);
        key = Hmac(key, Region);
        key = Hmac(key, Service);
        key = Hmac(key, "aws4_request");
        var expected = Encoding.ASCII.GetBytes(Hex(Hmac(key, stringToSign)));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(Signature));
    }

    private string CanonicalRequest(HttpRequest request, string rawTarget, ReadOnlySpan<byte> body)
    {
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? rawTarget : rawTarget[..queryStart];
        var query = queryStart < 0 ? "" : rawTarget[(queryStart + 1)..];
        var payloadHash = request.Headers["x-amz-content-sha256"].ToString() is { Length: > 0 } declared ? declared : Hex(SHA256.HashData(body));

        var builder = new StringBuilder();
        builder.Append(request.Method).Append('\n');
        builder.Append(path.Length == 0 ? "/" : path).Append('\n');
        builder.Append(CanonicalQuery(query)).Append('\n');
        foreach (var name in SignedHeaders)
        {
            var values = name == "host" ? request.Host.Value ?? "" : string.Join(',', request.Headers[name].Select(v => CollapseSpaces(v ?? "")));
            builder.Append(name).Append(':').Append(values).Append('\n');
        }

        builder.Append('\n').Append(string.Join(';', SignedHeaders)).Append('\n').Append(payloadHash);
        return builder.ToString();
    }

    private static string CanonicalQuery(string query) => string.Join('&', query
        .Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Select(kv => (Key: UriEncode(Uri.UnescapeDataString(kv[0])), Value: UriEncode(kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "")))
        .OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .ThenBy(kv => kv.Value, StringComparer.Ordinal)
        .Select(kv => $"{kv.Key}={kv.Value}"));

    private static string UriEncode(string value)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string CollapseSpaces(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
