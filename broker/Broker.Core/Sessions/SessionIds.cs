using System.Security.Cryptography;

namespace Broker.Core.Sessions;

/// <summary>Session ids: time-ordered (listings sort naturally) and unguessable (ids are not enumerable).</summary>
public static class SessionIds
{
    /// <summary>A new id such as <c>s-0193f1c2a4e5c0ffee…</c>.</summary>
    public static string New(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        return $"s-{time.GetUtcNow().ToUnixTimeMilliseconds():x11}{Convert.ToHexStringLower(random)}";
    }
}
