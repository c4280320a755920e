using System.Text;
using System.Text.Encodings.Web;
using Broker.Masking.Detection;

namespace Broker.Masking.Detectors;

/// <summary>
/// An immutable snapshot of a session's registered secrets, expanded into every form they are looked
/// for in, with one multi-string search over all of them.
/// </summary>
internal sealed class RegisteredSecrets
{
    public static readonly RegisteredSecrets Empty = new([]);

    private readonly Form[] _forms;
    private readonly int _longest;
    private readonly Form[][] _byFirstChar = new Form[256][];
    // The proper prefixes (two characters or more) of every form, by their last two characters; the bit table answers most pairs.
    private readonly Dictionary<int, Ending[]> _endings;
    private readonly ulong[] _endingPairs = new ulong[1024];

    private RegisteredSecrets(Form[] forms)
    {
        _forms = forms;
        _longest = forms.Length == 0 ? 0 : forms.Max(f => f.Text.Length);
        for (var c = 0; c < _byFirstChar.Length; c++)
        {
            _byFirstChar[c] = [.. forms.Where(f => f.Text[0] == c)];
        }

        _endings = forms
            .SelectMany((form, order) => Enumerable.Range(2, Math.Max(0, form.Text.Length - 2)).Select(length => (Ending: new Ending(form, length), Order: order)))
            .GroupBy(e => (e.Ending.Form.Text[e.Ending.Length - 2] << 8) | e.Ending.Form.Text[e.Ending.Length - 1])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(e => e.Ending.Length).ThenBy(e => e.Order).Select(e => e.Ending).ToArray());
        foreach (var pair in _endings.Keys)
        {
            _endingPairs[pair >> 6] |= 1UL << (pair & 63);
        }
    }

    public bool IsEmpty => _forms.Length == 0;

    public RegisteredSecrets With(string name, string value)
    {
        var added = FormsOf(name, value).Where(f => !_forms.Any(e => e.Text == f.Text));
        return new RegisteredSecrets([.. _forms, .. added]);
    }

    /// <summary>The distinct texts of every form, for the shared candidate pass.</summary>
    public IEnumerable<string> SearchTexts => _forms.Select(f => f.Text).Distinct(StringComparer.Ordinal);

    /// <summary>Reports the forms found at <paramref name="heads"/> (the candidate pass's positions, in order) and holds a form cut by the end.</summary>
    public void Scan(in ScanText text, List<int> heads, Findings findings)
    {
        if (_forms.Length == 0)
        {
            return;
        }

        var bytes = text.Bytes;
        foreach (var start in heads)
        {
            if (start < text.From)
            {
                continue;
            }

            foreach (var form in _byFirstChar[bytes[start]])
            {
                if (ByteClass.MatchesWhole(bytes, start, form.Text))
                {
                    Report(text, start, form, findings);
                }
            }
        }

        if (text.Final)
        {
            return;
        }

        HoldPrefixes(bytes, Math.Max(text.From, bytes.Length - _longest + 1), findings);
    }

    /// <summary>
    /// Every position from <paramref name="lowest"/> on where the text ends with a proper prefix of a form holds, named
    /// after the first such form. Found from the text's last two characters (<see cref="_endings"/>) rather than by
    /// trying every position within the longest form's length of the end, a fixed cost of every push.
    /// </summary>
    private void HoldPrefixes(ReadOnlySpan<byte> chars, int lowest, Findings findings)
    {
        var length = chars.Length;
        if (length >= 2)
        {
            var pair = (chars[^2] << 8) | chars[^1];
            if ((_endingPairs[pair >> 6] & (1UL << (pair & 63))) != 0 && _endings.TryGetValue(pair, out var endings))
            {
                // Longest prefix first (the leftmost position), then form order: the first form that fits names it.
                var reported = -1;
                foreach (var ending in endings)
                {
                    var at = length - ending.Length;
                    if (at >= lowest && at != reported && ByteClass.MatchesWhole(chars, at, ending.Form.Text.AsSpan(0, ending.Length)))
                    {
                        findings.AddCandidate(at, ending.Form.Name, distinctive: true);
                        reported = at;
                    }
                }
            }
        }

        if (length >= 1 && length - 1 >= lowest)
        {
            foreach (var form in _byFirstChar[chars[^1]])
            {
                if (form.Text.Length > 1)
                {
                    findings.AddCandidate(length - 1, form.Name, distinctive: true);
                    break;
                }
            }
        }
    }

    private static void Report(in ScanText text, int start, Form form, Findings findings)
    {
        var end = start + form.Text.Length;
        if (form.Kind != FormKind.Plain)
        {
            // The characters around the stable core still carry a few bits of the secret; mask them with it.
            if (text.Open(end))
            {
                findings.AddCandidate(start, form.Name, distinctive: true);
                return;
            }

            var next = text.At(end);
            if ((form.Kind != FormKind.Base64Url && ByteClass.IsBase64(next)) || (form.Kind != FormKind.Base64 && ByteClass.IsBase64Url(next)))
            {
                end++;
            }

            for (var pad = 0; pad < 2 && text.At(end) == (byte)'='; pad++)
            {
                end++;
            }

            if (text.Open(end))
            {
                findings.AddCandidate(start, form.Name, distinctive: true);
                return;
            }
        }

        findings.AddMatch(start, end, form.Name);
    }

    private static IEnumerable<Form> FormsOf(string name, string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        var literal = Encoding.Latin1.GetString(utf8);
        var forms = new HashSet<string>(StringComparer.Ordinal) { literal };
        yield return new Form(name, literal, FormKind.Plain);

        string[] encoded =
        [
            Convert.ToHexStringLower(utf8),
            Convert.ToHexString(utf8),
            Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(value))),
            Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(Uri.EscapeDataString(value))),
            Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal))),
        ];
        foreach (var form in encoded)
        {
            if (forms.Add(form))
            {
                yield return new Form(name, form, FormKind.Plain);
            }
        }

        for (var alignment = 0; alignment < 3; alignment++)
        {
            var core = Base64Core(utf8, alignment);
            if (core.Length < SecretRegistry.MinimumLength)
            {
                continue;
            }

            // base64url (RFC 4648 §5) differs only in two letters of the alphabet; a core without them serves both.
            var urlCore = core.Replace('+', '-').Replace('/', '_');
            if (urlCore == core)
            {
                if (forms.Add(core))
                {
                    yield return new Form(name, core, FormKind.Base64Either);
                }

                continue;
            }

            if (forms.Add(core))
            {
                yield return new Form(name, core, FormKind.Base64);
            }

            if (forms.Add(urlCore))
            {
                yield return new Form(name, urlCore, FormKind.Base64Url);
            }
        }
    }

    /// <summary>
    /// The base64 characters fully determined by the secret when it starts <paramref name="alignment"/>
    /// bytes into a 3-byte group: the same whatever bytes surround it in the encoded stream.
    /// </summary>
    internal static string Base64Core(byte[] secret, int alignment)
    {
        var padded = new byte[alignment + secret.Length];
        secret.CopyTo(padded, alignment);
        var encoded = Convert.ToBase64String(padded).TrimEnd('=');
        var firstBit = alignment * 8;
        var endBit = firstBit + (secret.Length * 8);
        var first = (firstBit + 5) / 6;
        var last = endBit / 6;
        return last > first ? encoded[first..last] : string.Empty;
    }

    private sealed record Form(string Name, string Text, FormKind Kind);

    /// <summary>The first <paramref name="Length"/> characters of <paramref name="Form"/> (fewer than all of them).</summary>
    private readonly record struct Ending(Form Form, int Length);

    /// <summary>How a form's text sits in the output: as is, or as the stable core of a longer base64 text.</summary>
    private enum FormKind
    {
        Plain,
        Base64,
        Base64Url,
        Base64Either,
    }
}
