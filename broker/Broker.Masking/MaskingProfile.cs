using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    // The needles by the byte they start with: exact ones by that byte, caseless ones by either case of it.
    private readonly NeedleEntry[][] _exactByFirstByte = new NeedleEntry[256][];
    private readonly NeedleEntry[][] _caselessByFirstByte = new NeedleEntry[256][];
    // The needles whose prefix at the end of the text is held, by the byte they start with (in either case if they are caseless).
    private readonly NeedleEntry[][] _heldPrefixesByFirstByte = new NeedleEntry[256][];
    private readonly (string Text, bool IgnoreCase)[] _needles;
    // One candidate pass per snapshot of a session's registered secrets (their forms are searched in the same pass).
    private readonly ConditionalWeakTable<RegisteredSecrets, CandidatePass> _passes = [];
    private readonly ConditionalWeakTable<RegisteredSecrets, CandidatePass>.CreateValueCallback _createPass;
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
        var entries = all.SelectMany(d => d.Needles.Select(n => new NeedleEntry(n, d, d.NeedlesIgnoreCase))).ToArray();
        for (var b = 0; b < 256; b++)
        {
            var lower = char.ToLowerInvariant((char)b);
            _exactByFirstByte[b] = [.. entries.Where(e => !e.IgnoreCase && e.Needle[0] == b)];
            _caselessByFirstByte[b] = lower < 128 ? [.. entries.Where(e => e.IgnoreCase && char.ToLowerInvariant(e.Needle[0]) == lower)] : [];
        }

        for (var b = 0; b < 256; b++)
        {
            var lower = char.ToLowerInvariant((char)b);
            _heldPrefixesByFirstByte[b] = [.. entries.Where(e => e.Detector.HoldsNeedlePrefix && (e.IgnoreCase ? lower < 128 && char.ToLowerInvariant(e.Needle[0]) == lower : e.Needle[0] == b))];
        }

        _needles = [.. entries.Select(e => (e.Needle, e.IgnoreCase)).Distinct()];
        _createPass = secrets => new CandidatePass(_needles, secrets.SearchTexts);
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
        if (text.Classes is null)
        {
            // A text that keeps no classes of its own (a screen row) is classified whole, into the findings' scratch. It was
            // not appended to since the last scan but drawn again: what that scan's anchors did says nothing about it.
            findings.Anchors.Forget();
            ScanClassified(new ScanText(text.Bytes, text.From, text.Final) { Classes = findings.ClassesOf(text.Bytes) }, secrets, findings);
            return;
        }

        ScanClassified(text, secrets, findings);
    }

    private void ScanClassified(in ScanText text, RegisteredSecrets secrets, Findings findings)
    {
        // One pass finds where any needle or registered secret may start; each search below only verifies those positions.
        var heads = findings.Heads;
        heads.Clear();
        var needleStart = int.MaxValue;
        if (_needles.Length > 0)
        {
            var lower = Math.Max(0, text.From - _lookback);
            needleStart = findings.Needles.Start(findings.Origin, lower, _longestNeedle);
            findings.Needles.Begin(findings.Origin, lower, text.Length);
        }

        if (_needles.Length > 0 || !secrets.IsEmpty)
        {
            var pass = ReferenceEquals(findings.LastPass.Secrets, secrets) ? findings.LastPass.Pass! : _passes.GetValue(secrets, _createPass);
            findings.LastPass = (secrets, pass);
            pass.Find(text.Bytes, secrets.IsEmpty ? needleStart : Math.Min(needleStart, text.From), heads);
        }

        // The heads are in order: those before the needles' start (found for the registered secrets) are skipped at once,
        // and most pushes of ordinary output have none after it either.
        var needleHeads = CollectionsMarshal.AsSpan(heads);
        if (_needles.Length > 0 && needleHeads.Length > 0)
        {
            var first = needleHeads.BinarySearch(needleStart);
            needleHeads = needleHeads[(first < 0 ? ~first : first)..];
            if (needleHeads.Length > 0)
            {
                VerifyNeedles(text, needleHeads, ignoreCase: false, findings);
                VerifyNeedles(text, needleHeads, ignoreCase: true, findings);
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

        secrets.Scan(text, heads, findings);
    }

    /// <summary>The needles of one letter-case kind at the pass's positions, in order (as one multi-string search of that kind finds them).</summary>
    private void VerifyNeedles(in ScanText text, ReadOnlySpan<int> heads, bool ignoreCase, Findings findings)
    {
        var bytes = text.Bytes;
        foreach (var at in heads)
        {
            var hit = false;
            var folded = NeedleEntry.Fold(bytes, at);
            foreach (var entry in ignoreCase ? _caselessByFirstByte[bytes[at]] : _exactByFirstByte[bytes[at]])
            {
                if ((folded & entry.FoldMask) == entry.Folded &&
                    (ignoreCase ? ByteClass.MatchesIgnoreCase(bytes, at, entry.Needle) : ByteClass.MatchesWhole(bytes, at, entry.Needle)))
                {
                    if (!hit)
                    {
                        findings.Needles.Hit(findings.Origin, at);
                        hit = true;
                    }

                    entry.Detector.OnNeedle(text, at, entry.Needle, findings);
                }
            }
        }
    }

    private void ScanNeedlePrefixes(in ScanText text, Findings findings)
    {
        // A prefix matches the whole rest of the text, so it starts within the longest needle's length of the end, at a
        // position the candidate pass reported (it judges a position cut by the end by the bytes that are there, each needle
        // in its own letter case, as here): those heads are all that is looked at, not every position there, a fixed cost
        // of every push. The detectors that hold prefixes check them in their own case too, so an exact needle's prefix in
        // another case (tried before) led to nothing.
        var bytes = text.Bytes;
        var heads = CollectionsMarshal.AsSpan(findings.Heads);
        var lowest = Math.Max(text.From, bytes.Length - _longestNeedle + 1);
        var first = heads.Length;
        while (first > 0 && heads[first - 1] >= lowest)
        {
            first--;
        }

        foreach (var at in heads[first..])
        {
            var held = _heldPrefixesByFirstByte[bytes[at]];
            if (held.Length == 0)
            {
                continue;
            }

            var tail = bytes[at..];
            foreach (var entry in held)
            {
                if (entry.Needle.Length > tail.Length && Matches(tail, entry.Needle.AsSpan(0, tail.Length), entry.IgnoreCase))
                {
                    entry.Detector.OnNeedlePrefix(text, at, entry.Needle, findings);
                }
            }
        }
    }

    private static bool Matches(ReadOnlySpan<byte> bytes, ReadOnlySpan<char> literal, bool ignoreCase) =>
        ignoreCase ? ByteClass.MatchesIgnoreCase(bytes, 0, literal) : ByteClass.MatchesWhole(bytes, 0, literal);

    internal static IEnumerable<Detector> BuiltIns(Func<string, bool> enabled)
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

    private sealed record NeedleEntry(string Needle, Detector Detector, bool IgnoreCase)
    {
        // The needle's first bytes with bit 5 set, as one integer: a byte that matches a needle's byte in either case
        // has the same value with bit 5 set, so a differing fold rules the needle out with one comparison.
        public int Folded { get; } = Fold(Needle);

        public int FoldMask { get; } = (int)(uint.MaxValue >> (8 * (4 - Math.Min(4, Needle.Length))));

        public static int Fold(ReadOnlySpan<byte> bytes, int at)
        {
            var folded = 0;
            for (var k = 0; k < 4 && at + k < bytes.Length; k++)
            {
                folded |= (bytes[at + k] | 0x20) << (8 * k);
            }

            return folded;
        }

        private static int Fold(string needle)
        {
            var folded = 0;
            for (var k = 0; k < 4 && k < needle.Length; k++)
            {
                folded |= (needle[k] | 0x20) << (8 * k);
            }

            return folded;
        }
    }
}
