using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Broker.Identity.Tokens;

/// <summary>
/// Tokens that passed full validation, by their SHA-256, so that an agent making many calls with
/// one token pays for the signature check once. An entry lives until the token expires (with the
/// issuer's clock skew) or <see cref="MaxAge"/> has passed, whichever comes first; only successes
/// are kept, so nothing an attacker sends can make a later call succeed or fail.
/// </summary>
internal sealed class ValidatedTokenCache
{
    /// <summary>How long a validated token is trusted without checking it again (bounds how late a key withdrawn by its issuer is noticed).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    private const int Capacity = 4096;
    private readonly ConcurrentDictionary<TokenHash, Entry> _entries = new();
    private readonly TimeProvider _time;

    public ValidatedTokenCache(TimeProvider time) => _time = time;

    public bool TryGet(string token, out AuthenticatedCaller caller)
    {
        caller = null!;
        var key = TokenHash.Of(token);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        if (_time.GetUtcNow() >= entry.ValidUntil)
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            return false;
        }

        caller = entry.Caller;
        return true;
    }

    public void Add(string token, AuthenticatedCaller caller, TimeSpan clockSkew)
    {
        var now = _time.GetUtcNow();
        var expires = caller.ExpiresAt + clockSkew;
        var validUntil = expires < now + MaxAge ? expires : now + MaxAge;
        if (validUntil <= now)
        {
            return;
        }

        if (_entries.Count >= Capacity)
        {
            Evict(now);
        }

        _entries[TokenHash.Of(token)] = new Entry(caller, validUntil);
    }

    private void Evict(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.ValidUntil <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        // Still full of live tokens (many distinct callers): start over rather than track recency.
        if (_entries.Count >= Capacity)
        {
            _entries.Clear();
        }
    }

    private sealed record Entry(AuthenticatedCaller Caller, DateTimeOffset ValidUntil);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static TokenHash Of(string token)
        {
            // Every call is looked up here: the string's own UTF-16 bytes are hashed, with no encoding or copy.
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(MemoryMarshal.AsBytes(token.AsSpan()), digest);
            var words = MemoryMarshal.Cast<byte, ulong>(digest);
            return new TokenHash(words[0], words[1], words[2], words[3]);
        }
    }
}
