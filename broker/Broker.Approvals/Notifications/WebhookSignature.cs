using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Broker.Approvals;

/// <summary>
/// The signature a receiver checks: <c>v1=</c> and the hex HMAC-SHA256, keyed by the shared secret, over the
/// timestamp (Unix seconds, as sent in <c>X-Broker-Timestamp</c>), a dot, and the exact body bytes. Signing the
/// timestamp lets a receiver refuse a replayed delivery by its age.
/// </summary>
internal static class WebhookSignature
{
    /// <summary>The header carrying the signature.</summary>
    public const string SignatureHeader = "X-Broker-Signature";

    /// <summary>The header carrying the signed timestamp.</summary>
    public const string TimestampHeader = "X-Broker-Timestamp";

    /// <summary>The header carrying the delivery's id (the same on every retry, so a receiver can drop duplicates).</summary>
    public const string DeliveryHeader = "X-Broker-Delivery";

    /// <summary>The signature of <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    public static string Sign(byte[] secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(secret, signed));
    }

    /// <summary>
    /// True when <paramref name="signature"/> is right for the body and timestamp and the timestamp is within
    /// <paramref name="tolerance"/> of <paramref name="now"/> (what a receiver does; compared in constant time).
    /// </summary>
    public static bool Verify(byte[] secret, string timestamp, ReadOnlySpan<byte> body, string signature, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}
