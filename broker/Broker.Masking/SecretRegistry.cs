using Broker.Masking.Detectors;

namespace Broker.Masking;

/// <summary>
/// The exact secret values one session must never show: the credentials the broker issued, secrets
/// from config. Thread-safe; values may be added while maskers run (a credential refresh), and every
/// masker sees them from its next chunk on.
/// </summary>
public sealed class SecretRegistry
{
    /// <summary>Values shorter than this are not registered: masking every occurrence of a few characters would destroy ordinary output.</summary>
    public const int MinimumLength = 4;

    private readonly Lock _gate = new();
    private RegisteredSecrets _snapshot = RegisteredSecrets.Empty;

    /// <summary>
    /// Registers <paramref name="value"/> under <paramref name="name"/> (shown as <c>[MASKED:name]</c>): the value itself,
    /// its base64 and base64url at all three alignments, its hex (either case), its URL-encoded and its JSON-escaped forms.
    /// </summary>
    /// <param name="name">A detector-style name: letters, digits, <c>-</c>, <c>_</c>, <c>.</c>.</param>
    /// <param name="value">The secret; values shorter than <see cref="MinimumLength"/> bytes are ignored.</param>
    public void Register(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!MaskingProfile.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid detector name (letters, digits, '-', '_', '.').", nameof(name));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(value) < MinimumLength)
        {
            return;
        }

        lock (_gate)
        {
            _snapshot = _snapshot.With(name, value);
        }
    }

    internal RegisteredSecrets Snapshot => Volatile.Read(ref _snapshot);
}
