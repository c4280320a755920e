using System.Buffers;
using System.Text.RegularExpressions;
using Broker.Masking.Detection;
using Broker.Masking.Detectors;

namespace Broker.Masking;

/// <summary>
/// A role's validated masking configuration: the enabled detectors and the shared pre-filter over
/// their needles. Immutable; one instance serves every session of the role.
/// </summary>
public sealed class MaskingProfile
{
    private static readonly TimeSpan s_regexTimeout = TimeSpan.FromMilliseconds(250);
    private const int MinimumHoldBytes = 1024;

    private readonly Detector[] _scanners;
    private readonly AnchoredHeads? _anchored;
    private readonly NeedleEntry[][] _needlesByFirstChar = new NeedleEntry[128][];
    private readonly NeedleEntry[][] _heldPrefixesByFirstChar = new NeedleEntry[128][];
    // Two searches, not one: a single case-insensitive search over every needle falls off the vectorised path.
    private readonly SearchValues<string>? _exactNeedles;
    private readonly SearchValues<string>? _caselessNeedles;
    private readonly SearchValues<char> _prefixStarts;
    private readonly int _longestNeedle;
    private readonly int _lookback;

    private MaskingProfile(MaskingSettings settings, IReadOnlyList<string> enabled, IEnumerable<Detector> detectors)
    {
        Replacement = settings.Replacement;
        HoldDelay = settings.HoldDelay;
        MaxHoldBytes = settings.MaxHoldBytes;
        EnabledDetectors = enabled;
        var all = detectors.ToArray();
        _scanners = [.. all.Where(d => d.Scans)];
        HasCustomDetectors = all.Any(d => d is CustomRegexDetector);
        var anchored = new AnchoredHeads(all);
        _anchored = anchored.IsEmpty ? null : anchored;
        var entries = all.SelectMany(d => d.Needles.Select(n => new NeedleEntry(n, d))).ToArray();
        for (var c = 0; c < _needlesByFirstChar.Length; c++)
        {
            _needlesByFirstChar[c] = [.. entries.Where(e => char.ToLowerInvariant(e.Needle[0]) == c)];
            _heldPrefixesByFirstChar[c] = [.. _needlesByFirstChar[c].Where(e => e.Detector.HoldsNeedlePrefix)];
        }

        _prefixStarts = SearchValues.Create([.. entries.Where(e => e.Detector.HoldsNeedlePrefix)
            .SelectMany(e => new[] { char.ToLowerInvariant(e.Needle[0]), char.ToUpperInvariant(e.Needle[0]) }).Distinct()]);
        _exactNeedles = Needles(entries.Where(e => !e.Detector.NeedlesIgnoreCase), StringComparison.Ordinal);
        _caselessNeedles = Needles(entries.Where(e => e.Detector.NeedlesIgnoreCase), StringComparison.OrdinalIgnoreCase);
        if (entries.Length > 0)
        {
            _longestNeedle = entries.Max(e => e.Needle.Length);
            _lookback = all.Max(d => d.Lookback);
        }
    }

    /// <summary>Every built-in detector name a role may enable or disable.</summary>
    public static IReadOnlyList<string> KnownDetectors => DetectorNames.All;

    /// <summary>The built-in and custom detectors this profile runs.</summary>
    public IReadOnlyList<string> EnabledDetectors { get; }

    /// <summary>How long a held-back candidate waits for more output before <see cref="StreamingMasker.FlushHeld(System.Buffers.IBufferWriter{byte})"/> should be called.</summary>
    public TimeSpan HoldDelay { get; }

    /// <summary>Whether custom (regular expression) detectors run: their patterns may read any context.</summary>
    internal bool HasCustomDetectors { get; }

    /// <summary>The bound of the held-back tail, in raw bytes.</summary>
    public int MaxHoldBytes { get; }

    /// <summary>How masked regions are replaced.</summary>
    public ReplacementStyle Replacement { get; }

    /// <summary>The defaults: every built-in detector except those off by default (e-mail).</summary>
    public static MaskingProfile Default { get; } = Create(new MaskingSettings()).Profile!;

    /// <summary>Validates <paramref name="settings"/>; errors name the unknown detector, the bad regex or the bad bound.</summary>
    public static MaskingProfileResult Create(MaskingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new List<string>();
        foreach (var name in settings.Enable.Concat(settings.Disable))
        {
            if (!DetectorNames.All.Contains(name, StringComparer.Ordinal))
            {
                errors.Add($"unknown detector '{name}' (known: {string.Join(", ", DetectorNames.All)})");
            }
        }

        foreach (var name in settings.Enable.Intersect(settings.Disable, StringComparer.Ordinal))
        {
            errors.Add($"detector '{name}' is both enabled and disabled");
        }

        if (settings.HoldDelay <= TimeSpan.Zero || settings.HoldDelay > TimeSpan.FromSeconds(5))
        {
            errors.Add($"hold delay {settings.HoldDelay.TotalMilliseconds} ms is outside (0, 5000] ms");
        }

        if (settings.MaxHoldBytes < MinimumHoldBytes)
        {
            errors.Add($"max hold bytes {settings.MaxHoldBytes} is below the minimum of {MinimumHoldBytes}");
        }

        var custom = new List<CustomRegexDetector>();
        var customNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var detector in settings.Custom)
        {
            if (!IsValidName(detector.Name))
            {
                errors.Add($"custom detector name '{detector.Name}' must be letters, digits, '-', '_' or '.'");
                continue;
            }

            if (DetectorNames.All.Contains(detector.Name, StringComparer.Ordinal) || !customNames.Add(detector.Name))
            {
                errors.Add($"custom detector name '{detector.Name}' is already taken");
                continue;
            }

            try
            {
                var regex = new Regex(detector.Pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, s_regexTimeout);
                if (regex.IsMatch(string.Empty))
                {
                    errors.Add($"custom detector '{detector.Name}': pattern matches the empty string");
                    continue;
                }

                custom.Add(new CustomRegexDetector(detector.Name, regex));
            }
            catch (ArgumentException e)
            {
                errors.Add($"custom detector '{detector.Name}': invalid pattern: {e.Message}");
            }
        }

        if (errors.Count > 0)
        {
            return MaskingProfileResult.Failure(errors);
        }

        var enabled = DetectorNames.All
            .Where(n => (!DetectorNames.OffByDefault.Contains(n) || settings.Enable.Contains(n)) && !settings.Disable.Contains(n))
            .ToHashSet(StringComparer.Ordinal);
        var detectors = BuiltIns(enabled.Contains).Concat(custom);
        var enabledNames = DetectorNames.All.Where(enabled.Contains).Concat(custom.Select(c => c.Name)).ToArray();
        return MaskingProfileResult.Success(new MaskingProfile(settings, enabledNames, detectors));
    }

    /// <summary>A masker for the output of a session whose exact secrets are in <paramref name="secrets"/>, with the screen followed.</summary>
    public StreamingMasker CreateMasker(SecretRegistry secrets) => CreateMasker(secrets, MaskerOptions.Default);

    /// <summary>A masker for the output of a session whose exact secrets are in <paramref name="secrets"/>.</summary>
    public StreamingMasker CreateMasker(SecretRegistry secrets, MaskerOptions options)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(options);
        return new StreamingMasker(this, secrets, options);
    }

    /// <summary>
    /// Masks a whole text that is not terminal output (a command line, a policy decision's reason); returns it
    /// with every secret replaced, and how many regions each detector masked.
    /// </summary>
    public MaskedText MaskText(string text, SecretRegistry secrets)
    {
        ArgumentNullException.ThrowIfNull(text);
        var masker = CreateMasker(secrets, MaskerOptions.TextOnly);
        var output = new ArrayBufferWriter<byte>(text.Length + 32);
        masker.Push(System.Text.Encoding.UTF8.GetBytes(text), output);
        masker.Complete(output);
        var counts = masker.Counts;
        return counts.Count == 0 ? new MaskedText(text, counts) : new MaskedText(System.Text.Encoding.UTF8.GetString(output.WrittenSpan), counts);
    }

    internal static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Runs every detector over <paramref name="text"/>.</summary>
    internal void Scan(in ScanText text, RegisteredSecrets secrets, Findings findings)
    {
        if (_exactNeedles is not null || _caselessNeedles is not null)
        {
            var lower = Math.Max(0, text.From - _lookback);
            var start = findings.Needles.Start(findings.Origin, lower, _longestNeedle);
            findings.Needles.Begin(findings.Origin, lower, text.Length);
            if (_exactNeedles is not null)
            {
                ScanNeedles(text, start, _exactNeedles, ignoreCase: false, findings);
            }

            if (_caselessNeedles is not null)
            {
                ScanNeedles(text, start, _caselessNeedles, ignoreCase: true, findings);
            }
        }

        if (!text.Final && _longestNeedle > 0)
        {
            ScanNeedlePrefixes(text, findings);
        }

        _anchored?.Scan(text, findings);
        foreach (var scanner in _scanners)
        {
            scanner.Scan(text, findings);
        }

        secrets.Scan(text, findings);
    }

    private static SearchValues<string>? Needles(IEnumerable<NeedleEntry> entries, StringComparison comparison)
    {
        var needles = entries.Select(e => e.Needle).Distinct(StringComparer.Ordinal).ToArray();
        return needles.Length == 0 ? null : SearchValues.Create(needles, comparison);
    }

    private void ScanNeedles(in ScanText text, int start, SearchValues<string> needles, bool ignoreCase, Findings findings)
    {
        var chars = text.Chars;
        var i = start;
        while (i < chars.Length)
        {
            var hit = chars[i..].IndexOfAny(needles);
            if (hit < 0)
            {
                break;
            }

            var at = i + hit;
            findings.Needles.Hit(findings.Origin, at);
            foreach (var entry in Bucket(chars[at]))
            {
                if (entry.Detector.NeedlesIgnoreCase == ignoreCase &&
                    chars[at..].StartsWith(entry.Needle, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                {
                    entry.Detector.OnNeedle(text, at, entry.Needle, findings);
                }
            }

            i = at + 1;
        }
    }

    private void ScanNeedlePrefixes(in ScanText text, Findings findings)
    {
        var chars = text.Chars;
        var at = Math.Max(text.From, chars.Length - _longestNeedle + 1) - 1;
        while (++at < chars.Length)
        {
            var next = chars[at..].IndexOfAny(_prefixStarts);
            if (next < 0)
            {
                break;
            }

            at += next;
            var tail = chars[at..];
            var lower = char.ToLowerInvariant(chars[at]);
            foreach (var entry in lower < _heldPrefixesByFirstChar.Length ? _heldPrefixesByFirstChar[lower] : [])
            {
                if (entry.Needle.Length > tail.Length && entry.Needle.AsSpan().StartsWith(tail, StringComparison.OrdinalIgnoreCase))
                {
                    entry.Detector.OnNeedlePrefix(text, at, entry.Needle, findings);
                }
            }
        }
    }

    private ReadOnlySpan<NeedleEntry> Bucket(char c)
    {
        var lower = char.ToLowerInvariant(c);
        return lower < _needlesByFirstChar.Length ? _needlesByFirstChar[lower] : [];
    }

    private static IEnumerable<Detector> BuiltIns(Func<string, bool> enabled)
    {
        if (enabled(DetectorNames.PemPrivateKey))
        {
            yield return new PemDetector();
        }

        if (enabled(DetectorNames.AwsAccessKeyId) || enabled(DetectorNames.AwsSecretAccessKey))
        {
            yield return new AwsAccessKeyDetector(enabled(DetectorNames.AwsAccessKeyId), enabled(DetectorNames.AwsSecretAccessKey), enabled(DetectorNames.AwsSessionToken));
        }

        if (enabled(DetectorNames.PrivateKeyBody))
        {
            yield return new KeyMaterialDetector();
        }

        if (TokenPrefixDetector.Create(enabled) is { } tokens)
        {
            yield return tokens;
        }

        if (enabled(DetectorNames.VendorToken))
        {
            yield return new InfixTokenDetector();
        }

        if (enabled(DetectorNames.WebhookUrl) || enabled(DetectorNames.AzureStorageKey))
        {
            yield return new UrlSecretDetector(enabled(DetectorNames.WebhookUrl), enabled(DetectorNames.AzureStorageKey));
        }

        if (enabled(DetectorNames.Jwt))
        {
            yield return new JwtDetector();
        }

        if (enabled(DetectorNames.ConnectionStringPassword))
        {
            yield return new UrlPasswordDetector();
        }

        string[] keyValueNames =
        [
            DetectorNames.AwsSecretAccessKey, DetectorNames.AwsSessionToken, DetectorNames.JsonSecretField,
            DetectorNames.ConnectionStringPassword, DetectorNames.KeywordSecret, DetectorNames.AzureStorageKey,
        ];
        if (keyValueNames.Any(enabled))
        {
            yield return new KeyValueDetector(enabled);
        }

        if (enabled(DetectorNames.CreditCard))
        {
            yield return new CreditCardDetector();
        }

        if (enabled(DetectorNames.Email))
        {
            yield return new EmailDetector();
        }
    }

    private sealed record NeedleEntry(string Needle, Detector Detector);
}
